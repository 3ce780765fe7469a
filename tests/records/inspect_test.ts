import assert from "node:assert/strict";
import { join } from "node:path";
import { inspectRecordFiles } from "../../src/records/inspect.ts";
import { deadLetterEntry } from "../../src/contract/dead_letter_entry.ts";
import { formatInspectReport } from "../../src/records/inspect_table.ts";
import { collectReportData } from "../../src/report/report_data.ts";
import { fixture } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("inspect counts the Python records by symbol, source, stage, flags and schema", async () => {
  const dir = await tempDir();
  const mixed = join(dir, "mixed.jsonl");
  const python = await Deno.readTextFile(fixture("qts-python-records.jsonl"));
  await Deno.writeTextFile(mixed, python + "garbage\n" + python.split("\n")[0].slice(0, 50));
  const report = await inspectRecordFiles([fixture("qts-python-records.jsonl"), mixed]);
  assert.equal(report.records, 10);
  assert.equal(report.badLines, 1);
  assert.deepEqual({ ...report.bySource }, { market: 4, broker: 2, system: 2, external: 2 });
  assert.deepEqual({ ...report.byStage }, { raw: 6, state: 2, computed: 2 });
  assert.deepEqual({ ...report.bySymbol }, { "005930": 4, "000660": 2, "(none)": 2, "한글": 2 });
  assert.deepEqual({ ...report.qualityFlags }, { NO_COMPUTED: 4, NO_STATE: 6 });
  assert.deepEqual({ ...report.schemaVersions }, { "v1.1.0": 10 });
  assert.deepEqual({ ...report.producers }, { observer_core: 10 });
  assert.deepEqual({ ...report.guardActions }, { PASS: 10 });
  assert.equal(report.firstEvent, "2026-11-26T11:12:32.531Z");
  assert.equal(report.lastEvent, "2026-11-26T11:12:32.532Z");
  assert.deepEqual(report.badLineSamples.map((b) => [b.file, b.line]), [[mixed, 6]]);
  assert.match(report.files[1].tornTail ?? "", /partial last line/);
  const text = formatInspectReport(report);
  for (
    const expected of [
      "records: 10",
      "bad lines: 1",
      "한글",
      "NO_STATE",
      "v1.1.0",
      `${mixed}:6: not valid JSON`,
      `${mixed}:7: partial last line`,
      "partial last line",
    ]
  ) {
    assert.ok(text.includes(expected), expected);
  }
});

Deno.test("a record with an impossible time (2^53-1 ms, or Python nanoseconds) is a bad line with its number; the file is still read", async () => {
  const dir = await tempDir();
  const path = join(dir, "times.jsonl");
  const lines = (await Deno.readTextFile(fixture("qts-python-records.jsonl"))).trimEnd().split(
    "\n",
  );
  const withMs = (line: string, ms: number) =>
    line.replace(/"timestamp_ms": ?\d+/, `"timestamp_ms": ${ms}`);
  await Deno.writeTextFile(
    path,
    [lines[0], withMs(lines[1], 2 ** 53 - 1), withMs(lines[2], 1795691552531000000), lines[3]]
      .join("\n") + "\n",
  );
  const report = await inspectRecordFiles([path]);
  assert.equal(report.records, 2);
  assert.equal(report.badLines, 2);
  assert.deepEqual(report.badLineSamples.map((b) => b.line), [2, 3]);
  assert.match(
    report.badLineSamples[0].reason,
    /snapshot\.meta\.timestamp_ms: expected an integer epoch time/,
  );
  assert.equal(report.firstEvent, "2026-11-26T11:12:32.531Z");
  const data = await collectReportData([path]);
  assert.ok(data.summary.length > 0, "the report is built as well");
});

Deno.test("input names that are Object.prototype members are counted as data, not inherited", async () => {
  const dir = await tempDir();
  const path = join(dir, "names.jsonl");
  const line = (await Deno.readTextFile(fixture("qts-python-records.jsonl"))).split("\n")[0];
  const named = (symbol: string) => line.replace(/"symbol": ?"[^"]*"/, `"symbol": "${symbol}"`);
  await Deno.writeTextFile(
    path,
    [named("constructor"), named("toString"), named("__proto__"), named("constructor")].join("\n") +
      "\n",
  );
  const report = await inspectRecordFiles([path]);
  assert.deepEqual(Object.entries(report.bySymbol).sort(), [
    ["__proto__", 1],
    ["constructor", 2],
    ["toString", 1],
  ]);
  const text = formatInspectReport(report);
  assert.doesNotMatch(text, /function|native code/);
  assert.match(text, /constructor\s*│\s*2/);
});

Deno.test("a dead-letter file is read as one: entries by kind, reason and input, not bad lines", async () => {
  const dir = await tempDir();
  const path = join(dir, "observer.rejected.jsonl");
  const now = Date.UTC(2026, 0, 26);
  const entry = (kind: "rejected" | "blocked", number: number, reasons: string[], text: string) =>
    JSON.stringify(deadLetterEntry({
      kind,
      input: "stdin",
      format: "snapshots",
      source: { text, number, terminated: true },
      reasons,
      now,
    }));
  const notJson = "not valid JSON: Unexpected token 'g', \"garbage\" is not valid JSON";
  const blocked = "validation: meta.timestamp_ms: expected an integer epoch time, got -1";
  await Deno.writeTextFile(
    path,
    [
      entry("rejected", 3, [notJson], "garbage"),
      entry("rejected", 7, [notJson], "garbage"),
      "",
      entry("blocked", 9, [blocked, "guard: BLOCK"], "{}"),
      entry("rejected", 12, ['price.close: expected a number or null, got "oops"'], "{}"),
    ].join("\n") + "\n",
  );
  const report = await inspectRecordFiles([path, fixture("qts-python-records.jsonl")]);
  assert.equal(report.badLines, 0, "a dead-letter file's entries are not bad lines");
  assert.equal(report.records, 5, "the record file beside it is read as before");
  assert.deepEqual(
    report.files.map((f) => [f.kind, f.records, f.deadLetters, f.badLines]),
    [["dead-letter", 0, 4, 0], ["records", 5, 0, 0]],
  );
  assert.equal(report.deadLetters.entries, 4);
  assert.deepEqual({ ...report.deadLetters.byKind }, { rejected: 3, blocked: 1 });
  assert.deepEqual({ ...report.deadLetters.byReason }, {
    [notJson]: 2,
    [blocked]: 1,
    "guard: BLOCK": 1,
    'price.close: expected a number or null, got "oops"': 1,
  });
  assert.deepEqual({ ...report.deadLetters.byInput }, { stdin: 4 });
  const text = formatInspectReport(report);
  assert.match(text, /dead-letter entries: 4/);
  assert.match(text, /dead-letter kind\s*│\s*entries/);
  assert.match(text, /rejected\s*│\s*3\s*│\s*75\.0/);
  assert.match(text, /bad lines: 0/);
});

Deno.test("a line of a dead-letter file that is not an entry is a bad line; a torn last one a torn tail", async () => {
  const dir = await tempDir();
  const path = join(dir, "x.rejected.jsonl");
  const good = JSON.stringify(deadLetterEntry({
    kind: "rejected",
    input: "a.jsonl",
    format: "records",
    source: { text: "x", number: 1, terminated: true },
    reasons: ["not valid JSON"],
    now: 0,
  }));
  await Deno.writeTextFile(path, `${good}\n{"dead_letter":"other"}\n${good.slice(0, 40)}`);
  const report = await inspectRecordFiles([path]);
  assert.equal(report.deadLetters.entries, 1);
  assert.equal(report.badLines, 1);
  assert.match(report.badLineSamples[0].reason, /not a dead-letter entry/);
  assert.equal(report.files[0].tornTailLine, 3);
  assert.match(report.files[0].tornTail ?? "", /partial last line/);
});

Deno.test("a record file whose first line is not a dead-letter entry is still a record file", async () => {
  const dir = await tempDir();
  const path = join(dir, "r.jsonl");
  const python = await Deno.readTextFile(fixture("qts-python-records.jsonl"));
  await Deno.writeTextFile(path, "\n" + "{}\n" + python);
  const report = await inspectRecordFiles([path]);
  assert.deepEqual([report.files[0].kind, report.records, report.badLines], ["records", 5, 1]);
});
