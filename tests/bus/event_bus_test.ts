import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { captureLogs } from "../helpers/logs.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

const record = (i: number) =>
  buildPatternRecord(marketSnapshot(i), DEFAULT_RECORD_STAMP, "2026-01-01T00:00:00.000Z");

Deno.test("a throwing or rejecting sink never stops the others; errors are counted and logged once per episode", async () => {
  await using logs = await captureLogs();
  const good = new MemorySink("good");
  const thrower = new MemorySink("thrower");
  const rejecter = new MemorySink("rejecter", true);
  const bus = new EventBus([thrower, good, rejecter], getObserverLogger("bus"));
  thrower.fail = "throw";
  rejecter.fail = "reject";
  for (let i = 0; i < 3; i++) await bus.dispatch(record(i));
  assert.equal(good.records.length, 3);
  assert.deepEqual(bus.failureCounts(), [
    { sink: "thrower", errors: 3 },
    { sink: "good", errors: 0 },
    { sink: "rejecter", errors: 3 },
  ]);
  const errors = logs.records.filter((r) => r.level === "error").map((r) => r.properties.sink);
  assert.deepEqual(errors, ["thrower", "rejecter"]);
  thrower.fail = "none";
  rejecter.fail = "none";
  await bus.dispatch(record(3));
  thrower.fail = "throw";
  await bus.dispatch(record(4));
  const episodes = logs.records.filter((r) => r.level === "error").map((r) => r.properties.sink);
  assert.deepEqual(episodes, ["thrower", "rejecter", "thrower"], "a new episode logs again");
  assert.equal(logs.messages().filter((m) => m.includes("recovered")).length, 2);
  await bus.close();
});

Deno.test("flush and close reach every sink, even after one fails; close is idempotent", async () => {
  await using _logs = await captureLogs();
  const a = new MemorySink("a");
  const b = new MemorySink("b");
  const bus = new EventBus([a], getObserverLogger("bus"));
  bus.add(b);
  a.fail = "throw";
  await bus.flush();
  assert.equal(a.flushes, 1);
  assert.equal(b.flushes, 1);
  await bus[Symbol.asyncDispose]();
  await bus.close();
  assert.equal(a.closes, 1);
  assert.equal(b.closes, 1);
  assert.throws(() => bus.dispatch(record(0)), /EventBus is closed/);
  assert.deepEqual(bus.sinks.map((s) => s.name), ["a", "b"]);
});

Deno.test("dispatch returns no promise when every sink is synchronous", () => {
  const bus = new EventBus([new MemorySink("sync")], getObserverLogger("bus"));
  assert.equal(bus.dispatch(record(0)), undefined);
  assert.ok(
    new EventBus([new MemorySink("async", true)], getObserverLogger("bus")).dispatch(
      record(0),
    ) instanceof Promise,
  );
});
