import assert from "node:assert/strict";
import { configReach } from "../../src/config/config_reach.ts";
import { parseConfig } from "../../src/config/load_config.ts";

Deno.test("configReach names every server and every file a configuration uses, never a secret", () => {
  const config = parseConfig(
    JSON.stringify({
      nats: {
        servers: ["tls://nats-a.lan:4443", "tls://nats-b.lan:4443"],
        auth: { creds_file: "/etc/qts/observer.creds" },
        tls: { ca_file: "/etc/qts/ca.pem" },
        stream: { name: "QTS" },
      },
      sinks: [
        { type: "jsonl", file: "log.jsonl" },
        {
          type: "postgres",
          url: "postgres://qts@db.lan:5433/qts",
          tls: "verify-full",
          tls_ca_file: "/etc/qts/pg-ca.pem",
          password_file: "/etc/qts/pg-password",
        },
        { type: "postgres", url_env: "QTS_PG_URL", name: "second", tls: "require" },
        {
          type: "nats",
          servers: "nats://[::1]:4222",
          auth: { user: "qts", password_env: "QTS_NATS_PASSWORD" },
        },
      ],
    }),
    "/srv/qts/config.json",
  );
  const env: Record<string, string> = {
    QTS_PG_URL: "postgres://qts@db2.lan/qts",
    QTS_NATS_PASSWORD: "never-read",
  };
  const reads: string[] = [];
  const reach = configReach(config, (name) => {
    reads.push(name);
    return env[name];
  });
  assert.deepEqual(reach.net, [
    "db.lan:5433",
    "db2.lan:5432",
    "[::1]:4222",
    "nats-a.lan:4443",
    "nats-b.lan:4443",
  ]);
  assert.deepEqual(reach.files, [
    "/etc/qts/pg-ca.pem",
    "/etc/qts/pg-password",
    "/etc/qts/observer.creds",
    "/etc/qts/ca.pem",
  ]);
  assert.deepEqual(reads, ["QTS_PG_URL"], "only the URL's variable is read, no secret");
});

Deno.test("configReach refuses a url_env whose variable holds no URL: the host to grant is unknown", () => {
  const config = parseConfig(
    JSON.stringify({ sinks: [{ type: "postgres", url_env: "QTS_PG_URL", tls: "require" }] }),
    "/srv/qts/config.json",
  );
  assert.throws(
    () => configReach(config, () => undefined),
    /sinks\[0\]\.url_env: expected QTS_PG_URL/,
  );
});
