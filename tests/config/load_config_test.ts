import assert from "node:assert/strict";
import { join } from "node:path";
import { effectiveConfig } from "../../src/config/effective_config.ts";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load_config.ts";
import { resolveConnectionUrls } from "../../src/config/resolve_config.ts";
import { PROJECT_ROOT } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

function problems(text: string): readonly string[] {
  try {
    parseConfig(text, "c.jsonc");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /^invalid configuration c\.jsonc: \d+ problem\(s\)\n/);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("config: comments and trailing commas are allowed; names and tuning come out typed", () => {
  const config = parseConfig(
    `// all records
    { "sinks": [
      { "type": "jsonl", "file": "a.jsonl", "rotation": { "every_minutes": 60, "keep": 3 },
        "queue_bytes": 1048576, "when_full": "drop_oldest", }, /* block */
      { "type": "stdout", "name": "pipe", "filter": { "where": "inputs.volume >= 1e3" } },
    ] }`,
    "c.jsonc",
  );
  assert.deepEqual(config.sinks[0], {
    type: "jsonl",
    name: "a.jsonl",
    file: "a.jsonl",
    tuning: {
      maxQueueBytes: 1048576,
      flushBytes: undefined,
      flushIntervalMs: undefined,
      whenFull: "drop_oldest",
      fsync: undefined,
      fsyncIntervalMs: undefined,
      rotation: { everyMinutes: 60, maxBytes: undefined, keep: 3 },
    },
    filter: undefined,
    sample: undefined,
  });
  assert.equal(config.sinks[1].name, "pipe");
  assert.deepEqual(config.sinks[1].filter?.where, [
    { part: "inputs", keys: ["volume"], comparison: ">=", value: 1000 },
  ]);
});

Deno.test("config: every problem is named with its path, what was expected and what came", () => {
  assert.deepEqual(
    problems(`{ "sinks": [
      { "type": "jsonl", "file": "a.jsonl" },
      { "type": "stdout", "when_full": "wait" },
      { "type": "jsonl", "file": "b.jsonl", "sample": { "every": 0 }, "colour": 1 },
      { "type": "kafka" },
      { "type": "jsonl", "file": "../c.jsonl", "filter": { "any": [{ "where": ["x > 1"] }] } }
    ] }`),
    [
      'sinks[1].when_full: expected one of block, drop_newest, drop_oldest, got "wait" (string)',
      "sinks[2].sample.every: expected a positive integer, got 0 (number)",
      'sinks[2].colour: expected no such field (unknown key "colour")',
      'sinks[3].type: expected "type" one of "jsonl", "stdout", "postgres", "nats", got "kafka" (string)',
      problems(`{ "sinks": [{ "type": "jsonl", "file": "../c.jsonl" }] }`)[0].replace(
        "sinks[0]",
        "sinks[4]",
      ),
      "sinks[4].filter.any[0].where[0]: expected `<inputs|computed|state>.<key>[.<key>...] <op> " +
      '<number>` with op one of >= <= != == > <, e.g. "inputs.volume >= 1000", got "x > 1" (string)',
    ],
  );
  assert.match(
    problems(`{ "sinks": [{ "type": "jsonl", "file": "../c.jsonl" }] }`)[0],
    /^sinks\[0\]\.file: invalid file name "\.\.\/c\.jsonl": .*path separator/,
  );
  assert.deepEqual(problems(`{ "sinks": [] }`), [
    "sinks: expected at least one sink, got [] (array)",
  ]);
  assert.deepEqual(problems(`[]`), [
    '(top level): expected a configuration object with "sinks", got [] (array)',
  ]);
});

Deno.test("config: syntax errors and duplicate keys give line and column", () => {
  assert.deepEqual(problems(`{\n  "sinks": [],\n  "sinks": [{ "type": "stdout" }]\n}`), [
    'line 3, column 3: sinks: expected each key once, got "sinks" again',
  ]);
  const syntax = problems(`{ "sinks": [ { "type": "stdout" `);
  assert.match(syntax[0], /^line 1, column 33: CloseBraceExpected, got the end of the file$/);
  assert.match(problems(`{ "sinks": [ nope ] }`)[0], /^line 1, column 14: InvalidSymbol/);
});

Deno.test("config: two sinks on one file, one name twice, or queues past the heap are refused", () => {
  assert.deepEqual(
    problems(`{ "sinks": [
      { "type": "jsonl", "file": "a.jsonl", "name": "x", "queue_bytes": 30000000 },
      { "type": "jsonl", "file": "a.jsonl" },
      { "type": "stdout", "name": "x" }
    ] }`),
    [
      'sinks[1].file: expected a file no other sink writes (sinks[0] writes it too), got "a.jsonl" (string)',
      'sinks[2].name: expected a name no other sink has (sinks[0] is also "x"; name one of them), got "x" (string)',
      "sinks: expected queues of at most 33554432 bytes together (the tasks cap the V8 heap at " +
      "128 MB; queue_bytes defaults to 4194304), got 38388608",
    ],
  );
});

Deno.test("config: the effective configuration is itself a valid configuration of the same sinks", async () => {
  for (const name of ["fan_out.jsonc", "stdout_pipe.jsonc"]) {
    const config = await loadConfig(join(PROJECT_ROOT, "examples", "config", name));
    const effective = effectiveConfig(config);
    const again = parseConfig(JSON.stringify(effective), "effective.json");
    assert.deepEqual(effectiveConfig(again), effective, name);
    assert.equal(again.sinks.length, config.sinks.length);
  }
});

Deno.test("config: an unreadable or non-UTF-8 file is a ConfigError naming it", async () => {
  const dir = await tempDir("config");
  await assert.rejects(loadConfig(join(dir, "missing.jsonc")), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /missing\.jsonc.*\n {2}cannot read it: /);
    return true;
  });
  await Deno.writeFile(join(dir, "bad.jsonc"), new Uint8Array([0x7b, 0xff, 0x7d]));
  await assert.rejects(loadConfig(join(dir, "bad.jsonc")), /cannot read it: not valid UTF-8/);
});

Deno.test("config: a postgres sink takes a URL or the name of a variable holding one, never both", () => {
  assert.deepEqual(
    problems(`{ "sinks": [
      { "type": "postgres", "url": "postgres://db/qts", "url_env": "QTS_PG", "tls": "require" },
      { "type": "postgres" },
      { "type": "postgres", "url": "http://qts:secret@db/qts", "table": "x; DROP TABLE y" },
      { "type": "postgres", "url_env": "QTS PG", "tls": "maybe" }
    ] }`),
    [
      "sinks[0]: expected exactly one of url and url_env, got both",
      "sinks[1]: expected exactly one of url and url_env, got neither",
      "sinks[2].url: expected a postgres://user@host:port/database URL, got " +
      '"http://qts:***@db/qts" (string)',
      "sinks[2].table: expected a table name like observer_records or schema.name (letters, " +
      'digits, _; at most 40 each), got "x; DROP TABLE y" (string)',
      "sinks[3].url_env: expected the name of an environment variable (letters, digits, _), got " +
      '"QTS PG" (string)',
      'sinks[3].tls: expected one of disable, require, verify-ca, verify-full, got "maybe" (string)',
    ],
  );
  const config = parseConfig(
    `{ "sinks": [{ "type": "postgres", "url_env": "QTS_PG", "sample": { "every": 10 } }] }`,
    "c.jsonc",
  );
  assert.deepEqual(
    resolveConnectionUrls(config, () => undefined),
    [
      "sinks[0].url_env: expected the environment variable QTS_PG to hold a postgres:// URL, got " +
      "nothing (unset)",
    ],
  );
  const resolved = resolveConnectionUrls(
    config,
    (name) => name === "QTS_PG" ? "postgres://u@h/d?sslmode=require" : undefined,
  );
  assert.ok(!Array.isArray(resolved));
  assert.deepEqual(resolved.sinks[0], {
    type: "postgres",
    name: "postgres#0",
    url: "postgres://u@h/d?sslmode=require",
    urlEnv: "QTS_PG",
    table: "observer_records",
    tuning: {
      maxQueueBytes: undefined,
      flushBytes: undefined,
      flushIntervalMs: undefined,
      whenFull: undefined,
    },
    filter: undefined,
    sample: { every: 10 },
  });
});
