/**
 * Hostile inputs, end to end: every case goes through the real `observer.ts`, started with the
 * `observer` task's permission flags, in four ways —
 *
 * - `stdin`: snapshot lines piped to `observer.ts`;
 * - `input`: `observer.ts --input <file>`;
 * - `replay`: `observer.ts replay <file>` (a new `--file` per run: replay refuses existing ones);
 * - `inspect`: `observer.ts inspect` (`--json` and the table) of a record file made of the
 *   records of the good lines with the hostile line inserted at the same line number.
 *
 * For each: no crash, the good lines around the bad one recorded in order, the bad line in the
 * dead-letter file (`data/observer/<base>.rejected.jsonl`) with its number, kind, reason and
 * exact text, the documented exit code, and a stderr that is printable (no raw ESC/BEL) and small.
 *
 * All runs of all cases are started once, a few at a time, in one shared project copy (every run
 * has its own `--file`, hence its own lock); each test then checks its case's results.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, parseSummaryLine, runScript, type ScriptRun } from "../helpers/project.ts";
import { snapshotLine, syntheticSnapshot } from "../helpers/snapshot_file.ts";

// ---------------------------------------------------------------------------------------------
// The corpus

/** What must become of a hostile line. */
interface BadExpectation {
  readonly kind: "rejected" | "blocked";
  /** The reason in the dead-letter entry (and on stderr, for rejected lines). */
  readonly reason: RegExp;
  /** The reason inspect gives for the same line in a record file. */
  readonly inspectReason: RegExp;
  /** `meta.run_id` of a blocked snapshot. */
  readonly runId?: string;
  /** The line is too long to keep: `text: null` and `line_bytes`. */
  readonly tooLong?: boolean;
  /** The line is not UTF-8: `text_base64` holds its raw bytes. */
  readonly notUtf8?: boolean;
  /** The line is the input's torn last line (inspect: a torn tail, not a counted bad line). */
  readonly tornTail?: boolean;
}

type Item =
  | { readonly good: true; readonly text: string; readonly runId: string }
  | {
    readonly good: false;
    readonly bytes: Uint8Array;
    readonly expect: BadExpectation;
    /** What goes into the record file for inspect instead of the line itself. */
    readonly inspectText?: string;
  };

interface Case {
  /** Used in file names. */
  readonly slug: string;
  /** The test name: the behaviour a user relies on. */
  readonly name: string;
  readonly items: readonly Item[];
  readonly eol?: "\n" | "\r\n" | "\r";
  readonly bom?: boolean;
  /** False: the last line has no line end. Default true. */
  readonly finalEol?: boolean;
  /** Extra flags for every run of the case. */
  readonly args?: readonly string[];
  /** A value too large to be shown whole on stderr. */
  readonly giant?: string;
  /** Checks of this case beyond the common ones, for each recording mode. */
  readonly checkRecording?: (run: ModeResult) => Promise<void> | void;
  /** Checks of this case's inspect runs beyond the common ones. */
  readonly checkInspect?: (json: InspectJson, table: ScriptRun) => void;
}

const encoder = new TextEncoder();

const good = (i: number): Item => ({ good: true, text: snapshotLine(i), runId: `r${i}` });

/** A good snapshot line given as text (its run id must be `runId`). */
const goodText = (text: string, runId: string): Item => ({ good: true, text, runId });

const bad = (line: string | Uint8Array, expect: BadExpectation, inspectText?: string): Item => ({
  good: false,
  bytes: typeof line === "string" ? encoder.encode(line) : line,
  expect,
  inspectText,
});

/**
 * A synthetic snapshot line (`syntheticSnapshot(i)`) with `meta` fields changed, then its raw
 * text edited: `"price":<n>` replaced by `price` (raw JSON text such as `"price":1e400`).
 */
function snapshotText(
  i: number,
  changes: {
    runId?: string;
    symbol?: string;
    timestamp?: string;
    timestampMs?: number;
    price?: string;
  } = {},
): string {
  const snapshot = syntheticSnapshot(i);
  if (changes.runId !== undefined) snapshot.meta.run_id = changes.runId;
  if (changes.symbol !== undefined) snapshot.context.symbol = changes.symbol;
  if (changes.timestamp !== undefined) snapshot.meta.timestamp = changes.timestamp;
  if (changes.timestampMs !== undefined) snapshot.meta.timestamp_ms = changes.timestampMs;
  const text = JSON.stringify(snapshot);
  if (changes.price === undefined) return text;
  assert.match(text, /"price":\d+,/);
  return text.replace(/"price":\d+/, changes.price);
}

/** A record-file line wrapping a snapshot text (the envelope every reader checks). */
function recordText(snapshot: string): string {
  return `{"snapshot":${snapshot},"regime_tags":{},"condition_tags":[],"outcome_labels":{},` +
    `"metadata":{"generated_at":"2026-01-26T03:00:00.000Z","session_id":"bench","mode":"DEV"}}`;
}

const NOT_A_RECORD = /^snapshot: expected an object, got nothing/;

const EXACT_NUMBERS = [
  '"n_safe_plus_one":9007199254740993',
  '"n_twenty_digits":12345678901234567890',
  '"n_negative_zero":-0.0',
  '"n_trailing_zero":751000.0',
  '"n_exponent":1e5',
  '"n_array":[-0.0,1e5,751000.0,9007199254740993]',
];

const GIANT_RUN_ID = "g".repeat(2 * 1024 * 1024);
const LONG_NOTE = "x".repeat(200_000);
const LONG_LINE = snapshotText(3, { runId: "long", price: `"price":70003,"note":"${LONG_NOTE}"` });
const DEEP = "[".repeat(20_000) + "]".repeat(20_000);
const CONTROL_LINE = "\u001b[31mred alert\u0007 \u001b]0;pwned\u0007 not json";
const CONTROL_RUN_ID = "esc\u001b[2J\u001b]0;pwned\u0007id";
const CONTROL_SYMBOL = "\u001b[31mEVIL\u0007";
const TRUNCATED = snapshotLine(2).slice(0, 137);

/** A snapshot line whose symbol holds invalid UTF-8 (0xFF 0xFE) at a known byte offset. */
const NOT_UTF8 = (() => {
  const text = snapshotText(7, { runId: "bad-utf8", symbol: "@@SYMBOL@@" });
  const [head, tail] = text.split("@@SYMBOL@@");
  const bytes = new Uint8Array([
    ...encoder.encode(head),
    0x41,
    0xff,
    0xfe,
    0x42,
    ...encoder.encode(tail),
  ]);
  return { bytes, offset: encoder.encode(head).length + 2 };
})();

const CASES: readonly Case[] = [
  {
    slug: "exact-numbers",
    name: "numbers are recorded exactly as they came: 9007199254740993, 12345678901234567890, " +
      "-0.0, 751000.0, 1e5",
    items: [
      good(0),
      goodText(snapshotText(1, { runId: "numbers", price: EXACT_NUMBERS.join(",") }), "numbers"),
      good(2),
    ],
    checkRecording: async (run) => {
      const line = (await recordLines(run.recordPath)).find((l) => l.includes('"numbers"'));
      assert.ok(line !== undefined, "the record of the numbers line");
      for (const number of EXACT_NUMBERS) {
        assert.ok(line.includes(number), `the record keeps ${number} byte for byte`);
      }
    },
  },
  {
    slug: "1e400",
    name: "a number too large for a double (1e400) blocks its snapshot like Infinity",
    items: [
      good(0),
      bad(snapshotText(1, { runId: "too-large", price: '"price":1e400' }), {
        kind: "blocked",
        runId: "too-large",
        reason: /observation\.inputs\.price: expected a finite number, got Infinity/,
        inspectReason: NOT_A_RECORD,
      }),
      good(2),
    ],
  },
  {
    slug: "duplicate-key",
    name: 'a line with a duplicate key ("meta" twice) is rejected naming the key',
    items: [
      good(0),
      good(1),
      bad(snapshotLine(2).replace('{"meta":', '{"meta":{"run_id":"first"},"meta":'), {
        kind: "rejected",
        reason: /duplicate key "meta"/,
        inspectReason: /duplicate key "meta"/,
      }),
      good(3),
    ],
  },
  {
    slug: "nan-key",
    name: "NaN as an object key is rejected, never turned into an invented key",
    items: [
      good(0),
      bad(snapshotLine(1).replace('"inputs":{', '"inputs":{NaN: 1,'), {
        kind: "rejected",
        reason: /^not valid JSON: expected a string key at column \d+, got "NaN: 1/,
        inspectReason: /^not valid JSON: expected a string key at column \d+/,
      }),
      good(2),
    ],
    checkRecording: async (run) => {
      for (const path of [run.recordPath, run.deadLetterPath]) {
        const text = await Deno.readTextFile(path).catch(() => "");
        assert.ok(!text.includes("qts-non-finite"), `${path} holds no invented key`);
        assert.ok(!text.includes("\\u0000"), `${path} holds no NUL-prefixed key`);
      }
    },
  },
  {
    slug: "deep-nesting",
    name: "nesting 20,000 levels deep is rejected (at most 512 levels) without a crash",
    items: [
      good(0),
      bad(snapshotText(1, { runId: "deep", price: `"price":70001,"deep":${DEEP}` }), {
        kind: "rejected",
        reason: /expected nesting of at most 512 levels, got deeper at observation\.inputs\.deep/,
        inspectReason: /expected nesting of at most 512 levels/,
      }),
      good(2),
    ],
    giant: DEEP.slice(0, 5000),
  },
  {
    slug: "too-long",
    name: "a line longer than --max-line-bytes is rejected by size without being kept, and the " +
      "next line is read",
    args: ["--max-line-bytes", "65536"],
    items: [
      good(0),
      good(1),
      bad(LONG_LINE, {
        kind: "rejected",
        tooLong: true,
        reason: new RegExp(
          `expected a line of at most 65536 bytes \\(--max-line-bytes\\), got ${LONG_LINE.length} bytes`,
        ),
        inspectReason: new RegExp(`at most 65536 bytes .*got ${LONG_LINE.length} bytes`),
      }),
      good(4),
    ],
    giant: LONG_NOTE.slice(0, 10_000),
  },
  {
    slug: "cr-only",
    name: "old Mac CR-only line ends: every line is recorded",
    eol: "\r",
    items: [good(0), good(1), good(2), good(3)],
  },
  {
    slug: "ts-ms-max-safe",
    name: "timestamp_ms 2^53-1 (past the year 9999) blocks its snapshot, and a record holding it " +
      "is a bad line for inspect",
    items: [
      good(0),
      bad(
        snapshotText(1, { runId: "far-future", timestampMs: 2 ** 53 - 1 }),
        {
          kind: "blocked",
          runId: "far-future",
          reason: /meta\.timestamp_ms: expected an integer epoch time in milliseconds from 0/,
          inspectReason: /snapshot\.meta\.timestamp_ms: expected an integer epoch time/,
        },
        recordText(snapshotText(1, { runId: "far-future", timestampMs: 2 ** 53 - 1 })),
      ),
      good(2),
    ],
  },
  {
    slug: "ts-text",
    name: "a timestamp text that does not parse blocks its snapshot",
    items: [
      good(0),
      bad(snapshotText(1, { runId: "bad-time", timestamp: "2026-02-30T25:61:00Z" }), {
        kind: "blocked",
        runId: "bad-time",
        reason: /meta\.timestamp: expected an ISO-8601 time with a zone, from 1970 to 9999/,
        inspectReason: NOT_A_RECORD,
      }),
      good(2),
    ],
  },
  {
    slug: "control-chars",
    name: "raw ESC/BEL in a line that is not JSON: rejected, shown escaped on stderr, kept " +
      "exactly in the dead-letter file",
    items: [
      good(0),
      bad(CONTROL_LINE, {
        kind: "rejected",
        reason: /^not valid JSON: expected a JSON value at column 1/,
        inspectReason: /^not valid JSON: expected a JSON value at column 1/,
      }),
      good(2),
      // The same characters as JSON escapes: valid JSON, so they reach the log as real ESC/BEL.
      bad(snapshotText(3, { runId: CONTROL_RUN_ID, price: '"price":NaN' }), {
        kind: "blocked",
        runId: CONTROL_RUN_ID,
        reason: /observation\.inputs\.price: expected a finite number, got NaN/,
        inspectReason: NOT_A_RECORD,
      }),
      goodText(snapshotText(4, { runId: "esc-symbol", symbol: CONTROL_SYMBOL }), "esc-symbol"),
      good(5),
    ],
    checkRecording: (run) => {
      assert.ok(run.run.stderr.includes("\\u001b"), "ESC is shown as \\u001b");
      assert.ok(run.run.stderr.includes("\\u0007"), "BEL is shown as \\u0007");
    },
    checkInspect: (json, table) => {
      assert.ok(table.stdout.includes("\\u001b"), "inspect shows ESC as \\u001b");
      assert.equal(json.report?.bySymbol?.[CONTROL_SYMBOL], 1, "the symbol is counted as it is");
    },
  },
  {
    slug: "giant-run-id",
    name: "a 2 MB run_id in a blocked snapshot: stderr stays small, the dead letter keeps it whole",
    items: [
      good(0),
      bad(snapshotText(1, { runId: GIANT_RUN_ID, price: '"price":NaN' }), {
        kind: "blocked",
        runId: GIANT_RUN_ID,
        reason: /observation\.inputs\.price: expected a finite number, got NaN/,
        inspectReason: NOT_A_RECORD,
      }),
      good(2),
    ],
    giant: GIANT_RUN_ID.slice(0, 10_000),
  },
  {
    slug: "prototype-names",
    name: 'symbols "constructor" and "__proto__" are plain data: recorded and counted by inspect',
    items: [
      good(0),
      goodText(snapshotText(1, { runId: "ctor", symbol: "constructor" }), "ctor"),
      goodText(
        snapshotText(2, {
          runId: "proto",
          symbol: "__proto__",
          price: '"price":70002,"__proto__":{"polluted":1},"constructor":{"x":1}',
        }),
        "proto",
      ),
      good(5),
    ],
    checkRecording: async (run) => {
      const line = (await recordLines(run.recordPath)).find((l) => l.includes('"proto"'));
      assert.ok(line !== undefined, "the record of the __proto__ line");
      assert.ok(
        line.includes('"__proto__":{"polluted":1},"constructor":{"x":1}'),
        "__proto__ and constructor keys are kept as data",
      );
    },
    checkInspect: (json, table) => {
      const bySymbol = Object.entries(json.report?.bySymbol ?? {});
      assert.deepEqual(
        Object.fromEntries(bySymbol.filter(([k]) => k === "constructor" || k === "__proto__")),
        JSON.parse('{"constructor": 1, "__proto__": 1}'),
      );
      assert.equal(bySymbol.length, 4, "005930, constructor, __proto__ and 000660");
      assert.ok(!table.stdout.includes("function Object"), table.stdout);
      assert.match(table.stdout, /│ constructor +│ 1 +│/);
      assert.match(table.stdout, /│ __proto__ +│ 1 +│/);
    },
  },
  {
    slug: "empty",
    name: "empty input: exit 0, nothing recorded, no dead-letter file",
    items: [],
    finalEol: false,
  },
  {
    slug: "bom",
    name: "a UTF-8 byte-order mark at the start does not cost the first line",
    bom: true,
    items: [good(0), good(1), good(2)],
  },
  {
    slug: "crlf",
    name: "CRLF line ends: every line is recorded",
    eol: "\r\n",
    items: [good(0), good(1), good(2)],
  },
  {
    slug: "crlf-bad",
    name: "CRLF line ends: a rejected line's dead-letter text has no line end",
    eol: "\r\n",
    items: [
      good(0),
      bad("{oops", {
        kind: "rejected",
        reason: /^not valid JSON/,
        inspectReason: /^not valid JSON/,
      }),
      good(2),
    ],
  },
  {
    slug: "not-utf8",
    name: "invalid UTF-8 is rejected naming the byte offset; the dead letter keeps the raw bytes",
    items: [
      good(0),
      bad(NOT_UTF8.bytes, {
        kind: "rejected",
        notUtf8: true,
        reason: new RegExp(`UTF-8 text, got an invalid byte at byte ${NOT_UTF8.offset}$`),
        inspectReason: new RegExp(`UTF-8 text, got an invalid byte at byte ${NOT_UTF8.offset}$`),
      }),
      good(2),
    ],
  },
  {
    slug: "not-objects",
    name: 'JSON lines that are not objects ([1], 42, "x", null) are rejected one by one',
    items: [
      good(0),
      ...["[1]", "42", '"x"', "null"].map((line) =>
        bad(line, {
          kind: "rejected",
          reason: /^\(snapshot\): expected a JSON object, got /,
          inspectReason: /^\(record\): expected a JSON object, got /,
        })
      ),
      good(1),
    ],
  },
  {
    slug: "truncated-tail",
    name: "a truncated last line (cut mid-JSON, no newline) is rejected; the lines before it are " +
      "recorded",
    finalEol: false,
    items: [
      good(0),
      good(1),
      bad(TRUNCATED, {
        kind: "rejected",
        tornTail: true,
        reason: /^not valid JSON: .*\(last line has no newline: truncated\?\)$/,
        inspectReason: /^partial last line \(no newline\): not valid JSON/,
      }),
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Running the corpus

/**
 * How a case is recorded: piped to stdin, or from the file with `--input` and with `replay`,
 * each on one thread (`--workers 1`) and in parallel (`--workers 2`, `-w2`).
 */
type RecordingMode = "stdin" | "input" | "replay" | "input-w2" | "replay-w2";
const RECORDING_MODES: readonly RecordingMode[] = [
  "stdin",
  "input",
  "replay",
  "input-w2",
  "replay-w2",
];
const MODE_LABELS: Record<RecordingMode, string> = {
  stdin: "observer.ts < input",
  input: "observer.ts --input --workers 1",
  replay: "observer.ts replay --workers 1",
  "input-w2": "observer.ts --input --workers 2",
  "replay-w2": "observer.ts replay --workers 2",
};

interface ModeResult {
  readonly mode: RecordingMode;
  readonly run: ScriptRun;
  /** The input's name in messages and dead letters: `stdin` or the file's path. */
  readonly inputName: string;
  readonly recordPath: string;
  readonly deadLetterPath: string;
}

interface InspectJson {
  readonly run: ScriptRun;
  // deno-lint-ignore no-explicit-any
  readonly report: any;
}

interface CaseResult {
  readonly modes: Map<RecordingMode, ModeResult>;
  /** The record file inspect read, or why it could not be made. */
  readonly recordFile: string | { readonly error: string };
  readonly inspectJson?: InspectJson;
  readonly inspectTable?: ScriptRun;
}

const lineEnd = (c: Case) => c.eol ?? "\n";

/** The case's bytes: `lines` joined by its line end, with its BOM and final line end. */
function caseBytes(c: Case, lines: readonly Uint8Array[]): Uint8Array {
  const eol = encoder.encode(lineEnd(c));
  const parts: Uint8Array[] = [];
  if (c.bom) parts.push(new Uint8Array([0xef, 0xbb, 0xbf]));
  lines.forEach((line, i) => {
    parts.push(line);
    if (i < lines.length - 1 || (c.finalEol ?? true)) parts.push(eol);
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const inputBytes = (c: Case) =>
  caseBytes(c, c.items.map((item) => item.good ? encoder.encode(item.text) : item.bytes));

/** Runs `jobs` with at most `limit` at a time, results in order. */
async function inBatches<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const PARALLEL = 4;

async function recordLines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch((error) => {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  });
  return text.split("\n").filter((line) => line.length > 0);
}

async function runAll(): Promise<Map<string, CaseResult>> {
  const started = performance.now();
  const root = await copyProject();
  const observerDir = join(root, "data", "observer");
  await Deno.mkdir(join(root, "in"));
  await Deno.mkdir(join(root, "records"));
  for (const c of CASES) await Deno.writeFile(join(root, "in", `${c.slug}.jsonl`), inputBytes(c));

  const recordingJob = (c: Case, mode: RecordingMode) => async (): Promise<ModeResult> => {
    const input = join(root, "in", `${c.slug}.jsonl`);
    const file = `${c.slug}-${mode}.jsonl`;
    const workers = mode.endsWith("-w2") ? "2" : "1";
    const args = mode === "stdin"
      ? ["--file", file]
      : mode.startsWith("input")
      ? ["--input", input, "--file", file, "--workers", workers]
      : ["replay", "--clock", "snapshot", "--workers", workers, "--file", file, input];
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: [...args, ...(c.args ?? [])],
      stdin: mode === "stdin" ? inputBytes(c) : undefined,
    });
    return {
      mode,
      run,
      inputName: mode === "stdin" ? "stdin" : input,
      recordPath: join(observerDir, file),
      deadLetterPath: join(observerDir, `${c.slug}-${mode}.rejected.jsonl`),
    };
  };
  const jobs = CASES.flatMap((c) => RECORDING_MODES.map((mode) => recordingJob(c, mode)));
  // One run alone first, so that concurrent runs find Deno's caches warm.
  const first = await jobs[0]();
  const recorded = [first, ...await inBatches(jobs.slice(1), PARALLEL)];

  const results = new Map<string, CaseResult>();
  const inspectJobs: (() => Promise<void>)[] = [];
  CASES.forEach((c, index) => {
    const modes = new Map(
      recorded.slice(index * RECORDING_MODES.length, (index + 1) * RECORDING_MODES.length)
        .map((result) => [result.mode, result]),
    );
    const result: { -readonly [K in keyof CaseResult]: CaseResult[K] } = {
      modes,
      recordFile: { error: "not made yet" },
    };
    results.set(c.slug, result);
    inspectJobs.push(async () => {
      // The record file: the records of the good lines (from the stdin run), the hostile line
      // as it is (or its record form) at the same line number, the same line ends.
      const byRunId = new Map<string, string>();
      for (const line of await recordLines(modes.get("stdin")!.recordPath)) {
        byRunId.set(JSON.parse(line).snapshot.meta.run_id, line);
      }
      const lines: Uint8Array[] = [];
      for (const item of c.items) {
        if (!item.good) {
          lines.push(
            item.inspectText === undefined ? item.bytes : encoder.encode(item.inspectText),
          );
          continue;
        }
        const record = byRunId.get(item.runId);
        if (record === undefined) {
          result.recordFile = {
            error: `the stdin run recorded no ${item.runId}: no record file to inspect`,
          };
          return;
        }
        lines.push(encoder.encode(record));
      }
      const path = join(root, "records", `${c.slug}.jsonl`);
      await Deno.writeFile(path, caseBytes(c, lines));
      result.recordFile = path;
      const inspect = (json: boolean) =>
        runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["inspect", ...(json ? ["--json"] : []), ...(c.args ?? []), path],
        });
      const [json, table] = await Promise.all([inspect(true), inspect(false)]);
      let report: unknown;
      try {
        report = JSON.parse(json.stdout);
      } catch {
        report = undefined;
      }
      result.inspectJson = { run: json, report };
      result.inspectTable = table;
    });
  });
  await inBatches(inspectJobs, PARALLEL / 2);
  console.log(
    `hostile inputs: ${CASES.length} cases, ${recorded.length + 2 * CASES.length} runs in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return results;
}

let all: Promise<Map<string, CaseResult>> | undefined;
const resultsOf = async (c: Case) => (await (all ??= runAll())).get(c.slug)!;

// ---------------------------------------------------------------------------------------------
// Checks

/** No crash, nothing a terminal would act on, nothing giant: for every run of every case. */
function assertCalmStderr(c: Case, stderr: string, where: string): void {
  assert.doesNotMatch(stderr, /Uncaught/, `${where}: no uncaught error\n${stderr.slice(0, 2000)}`);
  assert.doesNotMatch(
    stderr,
    /^\s+at .*:\d+:\d+\)?$/m,
    `${where}: no stack trace\n${stderr.slice(0, 2000)}`,
  );
  assert.ok(!stderr.includes("\u001b"), `${where}: no raw ESC on stderr`);
  assert.ok(!stderr.includes("\u0007"), `${where}: no raw BEL on stderr`);
  assert.ok(stderr.length < 50_000, `${where}: stderr is small (${stderr.length} characters)`);
  if (c.giant !== undefined) {
    assert.ok(!stderr.includes(c.giant), `${where}: the giant value is cut on stderr`);
  }
}

const badLines = (c: Case) =>
  c.items.flatMap((item, i) => item.good ? [] : [{ line: i + 1, item }]);

async function checkRecording(c: Case, result: ModeResult): Promise<void> {
  const { run, mode } = result;
  const where = `${c.slug}/${mode}`;
  assertCalmStderr(c, run.stderr, where);
  const bads = badLines(c);
  const goods = c.items.flatMap((item) => item.good ? [item.runId] : []);
  const rejected = bads.filter((b) => b.item.expect.kind === "rejected");
  const blocked = bads.filter((b) => b.item.expect.kind === "blocked");

  assert.match(run.stdout, /^summary: /m, `${where}: a summary line\n${run.stderr.slice(0, 2000)}`);
  const summary = parseSummaryLine(run.stdout);
  assert.deepEqual(
    {
      code: run.code,
      written: summary.written,
      rejected: summary.rejected,
      blocked: summary.blocked,
    },
    {
      code: bads.length > 0 ? 1 : 0,
      written: String(goods.length),
      rejected: String(rejected.length),
      blocked: String(blocked.length),
    },
    `${where}: exit code and summary (${run.stdout.trim()})\n${run.stderr.slice(0, 2000)}`,
  );

  const recordedIds = (await recordLines(result.recordPath)).map((line) =>
    JSON.parse(line).snapshot.meta.run_id
  );
  assert.deepEqual(recordedIds, goods, `${where}: the good lines are recorded, in order`);

  const exists = await Deno.stat(result.deadLetterPath).then(() => true, () => false);
  if (bads.length === 0) {
    assert.equal(exists, false, `${where}: no dead-letter file when nothing was turned away`);
    assert.equal(summary.dead_letters, undefined, `${where}: no dead letters in the summary`);
    return;
  }
  assert.equal(summary.dead_letters, String(bads.length), `${where}: dead letters counted`);
  assert.equal(summary.dead_letter_file, result.deadLetterPath, `${where}: dead-letter file named`);
  const entries = (await recordLines(result.deadLetterPath)).map((line) => JSON.parse(line));
  assert.equal(entries.length, bads.length, `${where}: one dead letter per bad line`);
  bads.forEach(({ line, item }, i) => {
    const entry = entries[i];
    const expect = item.expect;
    const at = `${where}: dead letter of line ${line}`;
    assert.deepEqual(
      {
        dead_letter: entry.dead_letter,
        kind: entry.kind,
        input: entry.input,
        line: entry.line,
        format: entry.format,
      },
      {
        dead_letter: "qts-dead-letter/v1",
        kind: expect.kind,
        input: result.inputName,
        line,
        format: "snapshots",
      },
      at,
    );
    assert.ok(
      Array.isArray(entry.reasons) &&
        entry.reasons.some((reason: string) => expect.reason.test(reason)),
      `${at}: a reason matching ${expect.reason}, got ${
        JSON.stringify(entry.reasons).slice(0, 500)
      }`,
    );
    if (expect.kind === "blocked") {
      assert.ok(entry.run_id === expect.runId, `${at}: run_id kept whole`);
    }
    if (expect.tooLong) {
      assert.equal(entry.text, null, `${at}: a line too long to keep has text null`);
      assert.equal(entry.line_bytes, item.bytes.length, `${at}: line_bytes is its size`);
    } else if (expect.notUtf8) {
      assert.equal(entry.text_base64, toBase64(item.bytes), `${at}: text_base64 is the raw bytes`);
      assert.equal(typeof entry.text, "string", `${at}: text is a lossy copy`);
    } else {
      const text = new TextDecoder().decode(item.bytes);
      assert.ok(
        entry.text === text,
        `${at}: text is the line exactly, got ${JSON.stringify(entry.text).slice(0, 300)}`,
      );
      assert.equal(entry.text_base64, undefined, `${at}: no text_base64 for UTF-8 text`);
    }
  });
  for (const { line, item } of rejected) {
    const prefix = `${result.inputName}:${line}: rejected: `;
    const shown = run.stderr.split("\n").find((l) => l.startsWith(prefix));
    assert.ok(shown !== undefined, `${where}: stderr reports "${prefix}…"\n${run.stderr}`);
    assert.match(shown.slice(prefix.length), item.expect.reason, `${where}: reason on stderr`);
  }
  for (const { item } of blocked) {
    const runId = shownEscaped(item.expect.runId!.slice(0, 100));
    assert.ok(
      run.stderr.split("\n").some((l) => l.includes(runId) && l.includes("blocked by validation")),
      `${where}: stderr logs the block with its run_id`,
    );
  }
}

function checkInspect(c: Case, result: CaseResult): void {
  if (typeof result.recordFile !== "string") assert.fail(result.recordFile.error);
  const path = result.recordFile;
  const json = result.inspectJson!;
  const table = result.inspectTable!;
  const bads = badLines(c);
  const torn = bads.filter((b) => b.item.expect.tornTail);
  const counted = bads.filter((b) => !b.item.expect.tornTail);
  const code = bads.length > 0 ? 1 : 0;
  for (const [name, run] of [["inspect --json", json.run], ["inspect", table]] as const) {
    const where = `${c.slug}/${name}`;
    assertCalmStderr(c, run.stderr, where);
    assert.equal(run.code, code, `${where}: exit code\n${run.stderr.slice(0, 2000)}`);
  }
  const report = json.report;
  assert.ok(report !== undefined, `inspect --json printed JSON: ${json.run.stdout.slice(0, 500)}`);
  assert.equal(report.records, c.items.filter((item) => item.good).length, "records counted");
  assert.equal(report.badLines, counted.length, "bad lines counted");
  assert.deepEqual(
    report.badLineSamples.map((b: { line: number }) => b.line),
    counted.map((b) => b.line),
    "bad lines reported with their line numbers",
  );
  counted.forEach(({ item }, i) => {
    const sample = report.badLineSamples[i];
    assert.equal(sample.file, path);
    assert.match(sample.reason, item.expect.inspectReason, `reason of line ${sample.line}`);
  });
  for (const { item } of torn) {
    assert.match(report.files[0].tornTail ?? "", item.expect.inspectReason, "torn tail reported");
  }
  for (const { line } of bads) {
    assert.ok(
      table.stdout.includes(`${path}:${line}: `),
      `the table names line ${line} as ${path}:${line}\n${table.stdout.slice(-1500)}`,
    );
  }
  assert.ok(!table.stdout.includes("function Object"), "no prototype leaks into the table");
}

/** `text` with control characters written as `\\uXXXX`, as the README says messages show them. */
function shownEscaped(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += control ? `\\u${code.toString(16).padStart(4, "0")}` : c;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

for (const c of CASES) {
  Deno.test(c.name, async (t) => {
    const result = await resultsOf(c);
    for (const mode of RECORDING_MODES) {
      await t.step(MODE_LABELS[mode], async () => {
        const run = result.modes.get(mode)!;
        await checkRecording(c, run);
        await c.checkRecording?.(run);
      });
    }
    await t.step(
      "replay --workers 2 writes the same bytes and dead letters as --workers 1",
      async () => {
        const one = result.modes.get("replay")!;
        const two = result.modes.get("replay-w2")!;
        assert.ok(
          equalBytes(
            await Deno.readFile(one.recordPath).catch(() => new Uint8Array()),
            await Deno.readFile(two.recordPath).catch(() => new Uint8Array()),
          ),
          "record files are byte-identical (--clock snapshot)",
        );
        const letters = async (path: string) =>
          (await recordLines(path)).map((line) => ({ ...JSON.parse(line), recorded_at: "" }));
        assert.deepEqual(await letters(two.deadLetterPath), await letters(one.deadLetterPath));
      },
    );
    await t.step("observer.ts inspect", () => {
      checkInspect(c, result);
      c.checkInspect?.(result.inspectJson!, result.inspectTable!);
    });
    await t.step("observer.ts inspect prints no raw ESC/BEL on stdout either", () => {
      for (const run of [result.inspectJson?.run, result.inspectTable]) {
        if (run === undefined) continue;
        for (const [name, char] of [["ESC", "\u001b"], ["BEL", "\u0007"]]) {
          const at = run.stdout.indexOf(char);
          assert.ok(
            at < 0,
            `raw ${name} on stdout: ${
              JSON.stringify(run.stdout.slice(Math.max(0, at - 40), at + 40))
            }`,
          );
        }
      }
    });
  });
}
