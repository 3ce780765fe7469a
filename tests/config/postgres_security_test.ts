import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConnectionUrls } from "../../src/config/resolve_config.ts";
import { validateConfig } from "../../src/config/config_schema.ts";
import type { ObserverConfig, PostgresSinkConfig } from "../../src/config/config_types.ts";
import { effectiveConfig } from "../../src/config/effective_config.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { effectivePostgresTls, isLoopbackHost } from "../../src/sinks/postgres_security.ts";
import { maskPassword } from "../../src/sinks/postgres_table.ts";
import { tempDir } from "../helpers/temp.ts";

const problemsOf = (sink: Record<string, unknown>) => {
  const result = validateConfig({ sinks: [{ type: "postgres", ...sink }] });
  return Array.isArray(result) ? result : [];
};

Deno.test("postgres security: the URL's sslmode is honoured, or refused with a reason; never weakened", () => {
  const mode = (url: string, tls?: "disable" | "require" | "verify-full") =>
    effectivePostgresTls(url, { tls }, "url");
  assert.deepEqual(mode("postgres://q@db.lan/q?sslmode=require"), { mode: "require" });
  assert.deepEqual(mode("postgres://q@db.lan/q?sslmode=verify-ca"), { mode: "verify-ca" });
  assert.deepEqual(mode("postgres://q@db.lan/q?sslmode=verify-full", "verify-full"), {
    mode: "verify-full",
  });
  assert.deepEqual(mode("postgres://q@127.0.0.1/q"), { mode: "disable" });
  assert.deepEqual(mode("postgres://q@localhost/q"), { mode: "disable" });
  assert.deepEqual(mode("postgres://q@db.lan/q", "disable"), { mode: "disable" });
  for (const refused of ["prefer", "allow"]) {
    assert.match(
      mode(`postgres://q@127.0.0.1/q?sslmode=${refused}`).problem!,
      new RegExp(`got sslmode=${refused} in the URL \\(url\\), refused: `),
    );
  }
  assert.match(mode("postgres://q@h/q?sslmode=maybe").problem!, /got "maybe"/);
  assert.match(
    mode("postgres://q@h/q?sslmode=require", "disable").problem!,
    /expected one TLS mode .*got sslmode=require in the URL \(url\) and "tls": "disable"/,
  );
  assert.match(
    mode("postgres://q@db.lan:6543/q").problem!,
    /expected a TLS mode for db\.lan:6543, which is not a loopback address/,
  );
  assert.match(
    mode("postgres://q@h/q?sslmode=verify-full&sslrootcert=/ca.crt").problem!,
    /expected no sslrootcert parameter in the URL \(url\): set "tls_ca_file"/,
  );
  assert.equal(isLoopbackHost("[::1]"), true);
  assert.equal(isLoopbackHost("127.8.9.10"), true);
  assert.equal(isLoopbackHost("10.0.0.1"), false);
});

Deno.test("postgres security: the configuration names every conflict with its key", () => {
  assert.deepEqual(
    problemsOf({ url: "postgres://q@127.0.0.1/q?sslmode=require", tls: "disable" }),
    [
      'sinks[0].tls: expected one TLS mode (make them agree, or remove one), got sslmode=require in the URL (url) and "tls": "disable"',
    ],
  );
  assert.deepEqual(problemsOf({ url: "postgres://q@127.0.0.1/q?sslmode=prefer" }).length, 1);
  assert.match(
    problemsOf({ url: "postgres://q@127.0.0.1/q?sslmode=prefer" })[0],
    /^sinks\[0\]\.url: /,
  );
  assert.deepEqual(
    problemsOf({ url: "postgres://q@127.0.0.1/q", tls: "require", tls_ca_file: "ca.crt" }),
    [
      'sinks[0].tls: expected "tls": "verify-full" (or "verify-ca") with tls_ca_file, got require, which does not check the server\'s certificate',
    ],
  );
  assert.match(
    problemsOf({ url: "postgres://q@127.0.0.1/q", tls: "verify-full", tls_cert_file: "c.crt" })[0],
    /^sinks\[0\]\.tls_cert_file: expected tls_cert_file and tls_key_file together/,
  );
  assert.deepEqual(
    problemsOf({ url: "postgres://q@127.0.0.1/q", password_file: "p", password_env: "QTS_P" }),
    ["sinks[0].password_env: expected one of password_file and password_env, got both"],
  );
  const both = problemsOf({
    url: "postgres://q:hunter2hunter2@127.0.0.1/q",
    password_env: "QTS_P",
  });
  assert.deepEqual(both, [
    "sinks[0].password_env: expected the password in one place, got it in the URL (url) and in password_env",
  ]);
  const far = problemsOf({ url: "postgres://q:hunter2hunter2@db.lan/q?password=pw2pw2pw2" });
  assert.equal(far.length, 1);
  assert.match(far[0], /^sinks\[0\]\.url: expected no password parameter in the URL/);
  assert.ok(!far.join().includes("hunter2") && !far.join().includes("pw2pw2"), far.join());
});

Deno.test("postgres security: url_env URLs and password_env are checked when read, naming the variable and never the value", () => {
  const config = validateConfig({
    sinks: [{ type: "postgres", url_env: "QTS_PG_URL", password_env: "QTS_PG_PASSWORD" }],
  }) as ObserverConfig;
  const env = (values: Record<string, string>) => (name: string) => values[name];
  assert.deepEqual(
    resolveConnectionUrls(
      config,
      env({ QTS_PG_URL: "postgres://q@db.lan/q", QTS_PG_PASSWORD: "pw-1234567" }),
    ),
    [
      'sinks[0].tls: expected a TLS mode for db.lan:5432, which is not a loopback address: "tls": "verify-full" (with "tls_ca_file" unless a public CA signed the server\'s certificate) or "require" (encrypted, the certificate not checked), or "tls": "disable" written out to send the password and the records in plaintext; got no "tls" and no sslmode in the URL (QTS_PG_URL)',
    ],
  );
  const unreadable = resolveConnectionUrls(config, (name) => {
    if (name === "QTS_PG_PASSWORD") throw new Error("no permission to read it");
    return "postgres://q@127.0.0.1/q";
  });
  assert.deepEqual(unreadable, [
    "sinks[0].password_env: cannot read QTS_PG_PASSWORD: no permission to read it",
  ]);
  const resolved = resolveConnectionUrls(
    config,
    env({ QTS_PG_URL: "postgres://q@db.lan/q?sslmode=require", QTS_PG_PASSWORD: "pw-1234567" }),
  ) as ObserverConfig;
  assert.equal((resolved.sinks[0] as PostgresSinkConfig).password, "pw-1234567");
  const printed = JSON.stringify(effectiveConfig(resolved));
  assert.ok(!printed.includes("pw-1234567"), printed);
  assert.match(printed, /"password_env":"QTS_PG_PASSWORD"/);
});

Deno.test("postgres security: TLS and password files resolve against the configuration's directory; config check prints them, the mode and no secret", async () => {
  const dir = await tempDir("pgsec");
  const file = join(dir, "c.jsonc");
  await Deno.writeTextFile(
    file,
    `{ "sinks": [{ "type": "postgres",
      "url": "postgres://q:hunter2hunter2@localhost/q?sslmode=verify-full&password=x",
      "tls_ca_file": "tls/ca.crt", "tls_cert_file": "/etc/qts/c.crt", "tls_key_file": "c.key" }] }`,
  );
  await assert.rejects(loadConfig(file), (error: Error) => {
    assert.match(error.message, /expected no password parameter/);
    assert.ok(!error.message.includes("hunter2"), error.message);
    return true;
  });
  await Deno.writeTextFile(
    file,
    `{ "sinks": [{ "type": "postgres",
      "url": "postgres://q@localhost/q?sslmode=verify-full", "password_file": "pw",
      "tls_ca_file": "tls/ca.crt", "tls_cert_file": "/etc/qts/c.crt", "tls_key_file": "c.key" }] }`,
  );
  const sink = (await loadConfig(file)).sinks[0] as PostgresSinkConfig;
  assert.deepEqual(
    [sink.tlsCaFile, sink.tlsCertFile, sink.tlsKeyFile, sink.passwordFile],
    [join(dir, "tls/ca.crt"), "/etc/qts/c.crt", join(dir, "c.key"), join(dir, "pw")],
  );
  const printed = effectiveConfig(await loadConfig(file)).sinks[0];
  assert.equal(printed.tls, "verify-full");
  assert.equal(printed.tls_ca_file, join(dir, "tls/ca.crt"));
  assert.equal(printed.password_file, join(dir, "pw"));
  assert.deepEqual(
    validateConfig(JSON.parse(JSON.stringify(effectiveConfig(await loadConfig(file))))).constructor,
    Object,
  );
  assert.equal(
    maskPassword("postgres://q:hunter2@h/q?sslpassword=abc&x=1"),
    "postgres://q:***@h/q?sslpassword=***&x=1",
  );
});
