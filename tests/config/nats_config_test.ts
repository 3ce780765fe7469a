import assert from "node:assert/strict";
import { type NatsSinkConfig } from "../../src/config/config_types.ts";
import { validateConfig } from "../../src/config/config_schema.ts";
import { effectiveConfig } from "../../src/config/effective_config.ts";

Deno.test("config: a nats sink gets its defaults and prints back as a valid configuration", () => {
  const config = validateConfig({
    sinks: [{ type: "nats", servers: "nats://127.0.0.1:4222", filter: { symbol: "0*" } }],
  });
  assert.ok(!Array.isArray(config), String(config));
  const sink = config.sinks[0] as NatsSinkConfig;
  assert.deepEqual(
    [sink.name, sink.servers, sink.payload, sink.subjectPrefix, sink.ackWindow, sink.ackTimeoutMs],
    ["nats#0", ["nats://127.0.0.1:4222"], "snapshots", "qts", 256, 5000],
  );
  const printed = effectiveConfig(config);
  // A follower's batch: 96 KiB of records (see NATS_SINK_DEFAULTS), not the publisher's 1 MiB.
  assert.equal((printed.sinks[0] as { flush_bytes?: number }).flush_bytes, 96 * 1024);
  const again = validateConfig(JSON.parse(JSON.stringify(printed)));
  assert.ok(!Array.isArray(again), String(again));
  assert.deepEqual(effectiveConfig(again), printed);
});

Deno.test("config: bad nats settings are named with their path, what was expected and what came", () => {
  const problems = validateConfig({
    nats: {
      servers: ["http://x:1"],
      stream: { max_age_seconds: 60, duplicate_window_seconds: 120, replicas: 7 },
      consumer: { max_deliver: 0 },
    },
    sinks: [{ type: "nats", servers: ["nats://u:p@h:1"], subject_prefix: "a.*", ack_window: 0 }],
  });
  assert.ok(Array.isArray(problems));
  const text = problems.join("\n");
  assert.match(
    text,
    /nats\.servers\[0\]: expected a nats:\/\/host:port or tls:\/\/host:port URL, got http:/,
  );
  assert.match(text, /nats\.stream\.replicas: expected 1 to 5, got 7/);
  assert.match(text, /nats\.consumer\.max_deliver: expected a positive integer or -1/);
  assert.match(
    text,
    /sinks\[0\]\.servers\[0\]: expected a nats:\/\/host:port or tls:\/\/host:port URL without credentials/,
  );
  assert.match(text, /sinks\[0\]\.subject_prefix: expected a subject prefix/);
  assert.match(text, /sinks\[0\]\.ack_window: expected a positive integer, got 0/);
  const window = validateConfig({
    nats: { servers: "nats://h", stream: { max_age_seconds: 60, duplicate_window_seconds: 120 } },
    sinks: [{ type: "stdout" }],
  });
  assert.ok(Array.isArray(window));
  assert.match(
    window.join("\n"),
    /nats\.stream\.duplicate_window_seconds: expected at most max_age_seconds \(60\), got 120/,
  );
});

Deno.test("config check never prints a NATS URL's password or token: credentials in a URL are refused, the URL shown masked", () => {
  const problems = validateConfig({
    nats: { servers: ["nats://qts:s3cret-word@127.0.0.1:4222"] },
    sinks: [
      { type: "nats", servers: "nats://qts:s3cret-word@127.0.0.1:4222" },
      { type: "nats", servers: ["tls://t0ken-s3cret@127.0.0.1:4222"] },
    ],
  });
  assert.ok(Array.isArray(problems));
  assert.doesNotMatch(problems.join("\n"), /s3cret/);
  const expected = "expected a nats://host:port or tls://host:port URL without credentials (a " +
    "user, password or token goes in auth, read from a file or an environment variable)";
  assert.deepEqual(problems, [
    `nats.servers[0]: ${expected}, got "nats://***@127.0.0.1:4222" (string)`,
    `sinks[0].servers: ${expected}, got "nats://***@127.0.0.1:4222" (string)`,
    `sinks[1].servers[0]: ${expected}, got "tls://***@127.0.0.1:4222" (string)`,
  ]);
});
