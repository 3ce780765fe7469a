/**
 * Property-based tests (fast-check) of the input path: random and mutated lines through the line
 * reader, the parser and validation. Nothing may throw, and every input line is accounted for
 * exactly once: written, blocked, rejected, or blank.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { EventBus } from "../../src/bus/event_bus.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { InputJsonError, parseInputJson } from "../../src/contract/input_json.ts";
import { isBlankLine, readLines, type TextLine } from "../../src/io/line_reader.ts";
import { Observer } from "../../src/observer/observer.ts";
import { parseSnapshotLine } from "../../src/sources/snapshot_lines.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const encoder = new TextEncoder();
const RUNS = 300;

/** A valid snapshot line with a random mutation (or none). */
const mutatedLine = fc.tuple(
  fc.nat(1000),
  fc.oneof(
    fc.constant({ kind: "none" as const }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string() }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.nat(40) }),
    fc.record({
      kind: fc.constant("number" as const),
      text: fc.oneof(
        fc.double().map(String),
        fc.constantFrom("1e400", "-0.0", "751000.0", "NaN", "-Infinity", "9007199254740993"),
      ),
    }),
    fc.record({ kind: fc.constant("duplicate" as const) }),
  ),
).map(([i, m]) => {
  const line = snapshotLine(i);
  switch (m.kind) {
    case "insert": {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + m.text + line.slice(at);
    }
    case "delete": {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + line.slice(at + m.length);
    }
    case "number":
      return line.replace(/"price":\d+/, `"price":${m.text}`);
    case "duplicate":
      return line.replace('{"meta":', '{"meta":{},"meta":');
    default:
      return line;
  }
});

/** Any line: mutated snapshots, arbitrary JSON, arbitrary text. */
const anyLine = fc.oneof(
  { weight: 4, arbitrary: mutatedLine },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme" }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary" }) },
);

/** Bytes: lines joined by random line ends, sometimes with raw random bytes mixed in. */
const input = fc.tuple(
  fc.array(
    fc.tuple(anyLine, fc.constantFrom("\n", "\r\n", "\r", "\n\n")),
    { maxLength: 12 },
  ),
  fc.boolean(),
  fc.uint8Array({ maxLength: 40 }),
).map(([lines, endWithBreak, noise]) => {
  let text = lines.map(([l, end]) => l + end).join("");
  if (!endWithBreak && text.length > 0) text = text.replace(/(\r\n|\r|\n)$/, "");
  const bytes = encoder.encode(text);
  if (noise.length === 0) return bytes;
  const out = new Uint8Array(bytes.length + noise.length);
  out.set(bytes);
  out.set(noise, bytes.length);
  return out;
});

/** Lines by an independent count of line ends (\n, \r\n and a lone \r end one line each). */
function countLines(bytes: Uint8Array): number {
  let lines = 0;
  let open = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines++;
      open = false;
    } else if (bytes[i] === 0x0d) {
      lines++;
      open = false;
      if (bytes[i + 1] === 0x0a) i++;
    } else open = true;
  }
  return lines + (open ? 1 : 0);
}

/** Splits `bytes` into two chunks at `cut`, as a stream. */
function streamOf(bytes: Uint8Array, cut: number): ReadableStream<Uint8Array> {
  const at = Math.min(cut, bytes.length);
  return ReadableStream.from([bytes.subarray(0, at), bytes.subarray(at)]);
}

Deno.test("property: the reader numbers every line once, wherever the chunks are cut", async () => {
  await fc.assert(
    fc.asyncProperty(input, fc.nat(4000), async (bytes, cut) => {
      const numbers: number[] = [];
      for await (const line of readLines(streamOf(bytes, cut), { maxLineBytes: 2000 })) {
        numbers.push(line.number);
      }
      assert.deepEqual(numbers, Array.from({ length: countLines(bytes) }, (_, i) => i + 1));
    }),
    { numRuns: RUNS },
  );
});

Deno.test("property: every line is written, blocked, rejected or blank — exactly once, nothing throws", async () => {
  await fc.assert(
    fc.asyncProperty(input, fc.nat(4000), async (bytes, cut) => {
      const sink = new MemorySink("memory");
      const observer = new Observer({
        bus: new EventBus([sink], getObserverLogger("bus")),
        logger: getObserverLogger("observer"),
      });
      observer.start();
      const fate = new Map<number, string>();
      const lines: TextLine[] = [];
      for await (const line of readLines(streamOf(bytes, cut), { maxLineBytes: 2000 })) {
        lines.push(line);
        if (isBlankLine(line)) {
          fate.set(line.number, "blank");
          continue;
        }
        const judged = parseSnapshotLine(line);
        assert.ok(judged !== undefined);
        if (!judged.ok) {
          assert.ok(judged.reason.length > 0);
          fate.set(line.number, "rejected");
          continue;
        }
        const outcome = await observer.onSnapshot(judged.snapshot);
        assert.notEqual(outcome.status, "ignored");
        fate.set(line.number, outcome.status);
      }
      assert.equal(fate.size, countLines(bytes), "one fate per line");
      const written = [...fate.values()].filter((f) => f === "dispatched").length;
      assert.equal(sink.records.length, written);
      for (const record of sink.records) JSON.parse(JSON.stringify(record)); // serializable
    }),
    { numRuns: RUNS },
  );
});

Deno.test("property: any JSON value comes back from the parser and writes back the same text", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      assert.equal(JSON.stringify(parseInputJson(text)), text);
    }),
    { numRuns: RUNS * 3 },
  );
});

/** JSON number texts by the grammar: sign, integer part, fraction, exponent. */
const numberText = fc.tuple(
  fc.boolean(),
  fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
  fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
  fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.nat(400))),
).map(([neg, int, frac, exp]) =>
  `${neg ? "-" : ""}${int}${frac === null ? "" : `.${frac}`}${
    exp === null ? "" : `${exp[0]}${exp[1]}${exp[2]}`
  }`
);

Deno.test("property: every finite number is written back exactly as it came; overflow is Infinity", () => {
  fc.assert(
    fc.property(numberText, fc.constantFrom("compact", "python"), (text, style) => {
      const line = style === "compact"
        ? `{"v":${text},"w":[${text}]}`
        : `{"v": ${text}, "w": [${text}]}`;
      const parsed = parseInputJson(line) as { v: unknown; w: unknown[] };
      if (!Number.isFinite(Number(text))) {
        assert.equal(parsed.v, Number(text));
        return;
      }
      assert.equal(JSON.stringify(parsed), `{"v":${text},"w":[${text}]}`);
    }),
    { numRuns: RUNS * 3 },
  );
});

Deno.test("property: arbitrary text either parses or fails with an InputJsonError, never anything else", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json().map((j) => j.slice(0, -1))),
      (text) => {
        try {
          parseInputJson(text);
        } catch (error) {
          assert.ok(error instanceof InputJsonError, String(error));
        }
      },
    ),
    { numRuns: RUNS * 3 },
  );
});
