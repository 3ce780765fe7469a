import assert from "node:assert/strict";
import { Command } from "commander";
import {
  parseNonNegativeInt,
  parsePositiveInt,
  parseQueueBytes,
} from "../../src/cli/flag_parsers.ts";
import { addCommonOptions, type CommonFlags, sinkTuningFrom } from "../../src/cli/sink_options.ts";

Deno.test("number parsers say what they expected", () => {
  assert.equal(parsePositiveInt("12"), 12);
  assert.throws(() => parsePositiveInt("-1"), /expected a positive integer, got "-1"/);
  assert.throws(() => parsePositiveInt("1.5"), /positive integer/);
  assert.equal(parseNonNegativeInt("0"), 0);
  assert.equal(parseQueueBytes("1048576"), 1048576);
  assert.throws(() => parseQueueBytes(String(64 * 1024 * 1024)), /expected at most 33554432/);
  assert.throws(() => parseNonNegativeInt("x"), /expected a whole number ≥ 0, got "x"/);
});

Deno.test("common flags become sink tuning; --keep without rotation is refused", () => {
  const parse = (args: string[]) =>
    addCommonOptions(new Command("t").exitOverride().configureOutput({ writeErr: () => {} })).parse(
      args,
      { from: "user" },
    ).opts<CommonFlags>();
  assert.deepEqual(sinkTuningFrom(parse([])), {
    fsync: "interval",
    whenFull: "block",
    maxQueueBytes: 4 * 1024 * 1024,
    flushBytes: 1024 * 1024,
    flushIntervalMs: 10,
    rotation: undefined,
  });
  const rotating = sinkTuningFrom(
    parse(["--rotate-minutes", "15", "--keep", "4", "--fsync", "always"]),
  );
  assert.deepEqual(rotating.rotation, { everyMinutes: 15, maxBytes: undefined, keep: 4 });
  assert.equal(rotating.fsync, "always");
  assert.throws(() => sinkTuningFrom(parse(["--keep", "3"])), /--keep needs rotation/);
  assert.throws(
    () => parse(["--fsync", "sometimes"]),
    /Allowed choices are none, interval, always/,
  );
});
