import assert from "node:assert/strict";
import fc from "fast-check";
import { wireObserver } from "../../src/app/pipeline.ts";
import { rawJsonNumber } from "../../src/contract/json_value.ts";
import {
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
  type PatternRecord,
} from "../../src/contract/pattern_record.ts";
import { buildSnapshot, type ObservationSnapshot } from "../../src/contract/snapshot.ts";
import { enrichRecord } from "../../src/observer/enrich.ts";
import {
  compileFilter,
  filterPatternChars,
  globMatcher,
  MAX_MATCHED_TEXT,
  mentionsGuard,
  parseFieldCondition,
  type RecordFilterSpec,
} from "../../src/sinks/record_filter.ts";
import { compileSampler, hashFraction } from "../../src/sinks/record_sampler.ts";
import { withSelection } from "../../src/sinks/selected_sink.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { validateFilter } from "../../src/config/filter_schema.ts";

function snapshot(
  i: number,
  over: Partial<Parameters<typeof buildSnapshot>[0]> = {},
): ObservationSnapshot {
  return buildSnapshot({
    session_id: "s1",
    mode: "DEV",
    source: "market",
    stage: "raw",
    symbol: ["005930", "000660", "035420"][i % 3],
    market: "KRX",
    timestamp_ms: Date.UTC(2026, 0, 26, 3) + i * 100,
    run_id: `run-${i}`,
    inputs: { price: 71000 + i, volume: i * 100 },
    computed: {},
    state: { position: { qty: i } },
    ...over,
  });
}

function record(s: ObservationSnapshot): PatternRecord {
  return enrichRecord(
    buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp),
    DEFAULT_RECORD_STAMP,
  );
}

const where = (text: string) => {
  const c = parseFieldCondition(text);
  if ("error" in c) throw new Error(c.error);
  return c;
};

Deno.test("filter: each condition takes exactly the records it names", () => {
  const records = Array.from({ length: 12 }, (_, i) => record(snapshot(i)));
  const bySymbol = (spec: RecordFilterSpec) =>
    records.filter(compileFilter(spec)).map((r) => r.snapshot.meta.run_id);
  assert.deepEqual(bySymbol({ symbol: "005930" }), ["run-0", "run-3", "run-6", "run-9"]);
  assert.deepEqual(bySymbol({ symbol: ["0006*", "035?20"] }).length, 8);
  assert.deepEqual(bySymbol({ source: "broker" }), []);
  assert.deepEqual(bySymbol({ stage: "raw", market: "KRX", session: "s*" }).length, 12);
  assert.deepEqual(bySymbol({ where: [where("inputs.volume >= 1000")] }), [
    "run-10",
    "run-11",
  ]);
  assert.deepEqual(bySymbol({ where: [where("state.position.qty < 2")] }), ["run-0", "run-1"]);
  assert.deepEqual(bySymbol({ hint: "HAS_PRICE" }).length, 12);
  assert.deepEqual(bySymbol({ quality_flag: "NO_COMPUTED" }).length, 12);
  assert.deepEqual(bySymbol({ quality_flag: "NO_STATE" }), []);
  assert.deepEqual(bySymbol({ guard: "PASS" }).length, 12);
  assert.deepEqual(bySymbol({ guard: "BLOCK" }), []);
});

Deno.test("filter: all, any and not combine, and keys of one object must all hold", () => {
  const records = Array.from({ length: 12 }, (_, i) => record(snapshot(i)));
  const ids = (spec: RecordFilterSpec) =>
    records.filter(compileFilter(spec)).map((r) => r.snapshot.meta.run_id);
  assert.deepEqual(ids({ symbol: "005930", where: [where("inputs.volume > 300")] }), [
    "run-6",
    "run-9",
  ]);
  assert.deepEqual(ids({ any: [{ symbol: "000660" }, { where: [where("inputs.volume == 0")] }] }), [
    "run-0",
    "run-1",
    "run-4",
    "run-7",
    "run-10",
  ]);
  assert.deepEqual(ids({ not: { symbol: ["005930", "000660"] } }), [
    "run-2",
    "run-5",
    "run-8",
    "run-11",
  ]);
  assert.deepEqual(ids({ all: [{ symbol: "0*" }, { not: { symbol: "00*" } }] }), [
    "run-2",
    "run-5",
    "run-8",
    "run-11",
  ]);
  assert.deepEqual(ids({ all: [{ symbol: "00*" }, { not: { symbol: "00*" } }] }), []);
  assert.equal(ids({}).length, 12, "an empty filter takes everything");
});

Deno.test("filter: numeric conditions read exact numbers and treat missing or non-numbers as false", () => {
  const exact = record(snapshot(0, { inputs: { volume: rawJsonNumber("1000.0"), price: "n/a" } }));
  assert.equal(compileFilter({ where: [where("inputs.volume >= 1000")] })(exact), true);
  assert.equal(compileFilter({ where: [where("inputs.price > 0")] })(exact), false);
  assert.equal(compileFilter({ where: [where("inputs.missing != 1")] })(exact), false);
  assert.equal(compileFilter({ where: [where("computed.x.y < 1")] })(exact), false);
  const noSymbol = record(snapshot(0, { symbol: undefined }));
  assert.equal(compileFilter({ symbol: "*" })(noSymbol), false, "no symbol never matches");
});

Deno.test("filter: conditions and globs parse strictly", () => {
  assert.deepEqual(parseFieldCondition("computed.a.b != -1.5e3"), {
    part: "computed",
    keys: ["a", "b"],
    comparison: "!=",
    value: -1500,
  });
  for (const bad of ["volume > 1", "inputs.volume >> 1", "inputs.volume > x", "inputs > 1", ""]) {
    assert.ok("error" in parseFieldCondition(bad), bad);
  }
  assert.equal(globMatcher("a.c")("abc"), false, "dots are literal");
  assert.equal(globMatcher("BTC/*")("BTC/USDT"), true);
  assert.equal(globMatcher("?")("삼"), true);
  assert.equal(mentionsGuard({ not: { all: [{ guard: "PASS" }] } }), true);
  assert.equal(mentionsGuard({ symbol: "x", any: [{ source: "market" }] }), false);
});

/** The glob as a (backtracking) regular expression: the reference the matcher must agree with. */
function globRegex(pattern: string): RegExp {
  const source = pattern.replace(
    /[.+^${}()|[\]\\*?]/g,
    (c) => c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : `\\${c}`,
  );
  return new RegExp(`^${source}$`, "u");
}

Deno.test("glob: matches exactly as the equivalent regular expression, on any text and pattern (code points, surrogate pairs, `**`)", () => {
  const char = fc.constantFrom("a", "b", "c", ".", "삼", "😀", "\\");
  const text = fc.array(char, { maxLength: 12 }).map((cs) => cs.join(""));
  const pattern = fc.array(fc.oneof(char, fc.constantFrom("*", "?")), { maxLength: 8 })
    .map((cs) => cs.join(""));
  fc.assert(
    fc.property(pattern, text, (p, t) => globMatcher(p)(t) === globRegex(p).test(t)),
    { numRuns: 5000 },
  );
});

Deno.test("glob: a pattern crafted to make a regex backtrack matches in linear time; a text beyond the bound never matches a wildcard", () => {
  // As a backtracking regex this takes longer than the suite (25 s at 5 stars and 110 chars).
  const hostile = globMatcher("*a".repeat(60) + "*c");
  assert.equal(hostile("a".repeat(MAX_MATCHED_TEXT)), false);
  assert.equal(hostile("a".repeat(59) + "c"), false, "fewer than 60 a's");
  assert.equal(hostile("a".repeat(MAX_MATCHED_TEXT - 1) + "c"), true);
  assert.equal(globMatcher("*a".repeat(60) + "*c")("a".repeat(60) + "c"), true);
  assert.equal(globMatcher("*")("x".repeat(MAX_MATCHED_TEXT + 1)), false, "beyond the bound");
  assert.equal(globMatcher("x".repeat(300))("x".repeat(300)), true, "no wildcard: plain equality");
});

Deno.test("filter bounds: a glob over 128 characters, over 32 globs in one condition, or over 1024 glob characters in all is refused, naming the path", () => {
  assert.match(
    String(validateFilter({ symbol: "x".repeat(129) })),
    /^symbol: expected a text of at most 128 characters, got .*\(string of 129 characters\)$/,
  );
  const many = validateFilter({ symbol: Array.from({ length: 33 }, (_, i) => `s${i}`) });
  assert.match(String(many), /^symbol: expected at most 32 texts/);
  const wide = { any: Array.from({ length: 9 }, () => ({ symbol: "?".repeat(120) })) };
  assert.equal(filterPatternChars(wide), 1080);
  assert.match(String(validateFilter(wide)), /expected globs of at most 1024 characters in all/);
  assert.ok(!Array.isArray(validateFilter({ any: wide.any.slice(0, 8) })), "1020 is allowed");
});

Deno.test("sampler: every N-th per key keeps the 1st, (N+1)-th, ... of each symbol", () => {
  const records = Array.from({ length: 30 }, (_, i) => record(snapshot(i)));
  const kept = records.filter(compileSampler({ every: 4 })).map((r) => r.snapshot.meta.run_id);
  // 10 per symbol; each symbol keeps its 1st, 5th and 9th.
  assert.deepEqual(kept, [
    "run-0",
    "run-1",
    "run-2",
    "run-12",
    "run-13",
    "run-14",
    "run-24",
    "run-25",
    "run-26",
  ]);
  const byMarket = records.filter(compileSampler({ every: 4, key: "market" }));
  assert.equal(byMarket.length, 8, "one key: 30 records keep ceil(30/4)");
});

Deno.test("sampler: probability depends on run_id only, so every run keeps the same set", () => {
  const records = Array.from({ length: 20_000 }, (_, i) => record(snapshot(i)));
  const first = records.filter(compileSampler({ probability: 0.1 })).map((r) =>
    r.snapshot.meta.run_id
  );
  const reversed = [...records].reverse().filter(compileSampler({ probability: 0.1 }))
    .map((r) => r.snapshot.meta.run_id).reverse();
  assert.deepEqual(reversed, first, "order and process do not matter");
  assert.ok(first.length > 1800 && first.length < 2200, `about 10 %: ${first.length}`);
  assert.equal(hashFraction("run-1"), hashFraction("run-1"));
  assert.ok(records.every(compileSampler({ probability: 1 })));
});

Deno.test("sampler: per_second keeps at most R records per key per second of event time", () => {
  // 100 ms apart: 10 per second in all, 3 or 4 per symbol per second.
  const records = Array.from({ length: 60 }, (_, i) => record(snapshot(i)));
  const kept = records.filter(compileSampler({ per_second: 2 }));
  const counts = new Map<string, number>();
  for (const r of kept) {
    const key = `${r.snapshot.context.symbol}@${Math.floor(r.snapshot.meta.timestamp_ms / 1000)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 18, "6 seconds × 3 symbols");
  assert.ok([...counts.values()].every((n) => n === 2));
});

Deno.test("a selected sink counts what its filter and sampler left out, and passes blocked snapshots over", async () => {
  const all = new MemorySink("all");
  const reviewInner = new MemorySink("review");
  const sampledInner = new MemorySink("sampled");
  const review = withSelection(reviewInner, {
    filter: compileFilter({ guard: "BLOCK" }),
    takesBlocked: true,
  });
  const sampled = withSelection(sampledInner, {
    filter: compileFilter({ symbol: "005930" }),
    sampler: compileSampler({ every: 2 }),
  });
  const wired = wireObserver([withSelection(all, {}), review, sampled], {
    dispatchBlocked: true,
    generatedAt: "snapshot",
  });
  for (let i = 0; i < 12; i++) await wired.observer.onSnapshot(snapshot(i));
  const bad = snapshot(99, { inputs: { price: NaN } });
  await wired.observer.onSnapshot(bad);
  await wired.close();
  assert.equal(all.records.length, 12, "blocked records reach only sinks that ask for them");
  assert.equal(reviewInner.records.length, 1);
  const blocked = reviewInner.records[0];
  assert.equal(blocked.metadata.guard.action, "BLOCK");
  assert.match(blocked.metadata.guard.reason, /observation\.inputs\.price/);
  assert.equal(blocked.metadata.validation.severity, "BLOCK");
  assert.equal(blocked.snapshot.meta.run_id, "run-99");
  assert.deepEqual(review.stats(), { written: 1, dropped: 0, failed: 0, filtered: 12, sampled: 0 });
  assert.deepEqual(sampledInner.records.map((r) => r.snapshot.meta.run_id), ["run-0", "run-6"]);
  assert.deepEqual(sampled.stats(), { written: 2, dropped: 0, failed: 0, filtered: 8, sampled: 2 });
});
