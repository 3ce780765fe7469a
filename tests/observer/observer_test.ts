import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { Observer } from "../../src/observer/observer.ts";
import { captureLogs } from "../helpers/logs.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

function setup(options: Partial<ConstructorParameters<typeof Observer>[0]> = {}) {
  const sink = new MemorySink("memory");
  const bus = new EventBus([sink], getObserverLogger("bus"));
  const observer = new Observer({ bus, logger: getObserverLogger("observer"), ...options });
  return { sink, bus, observer };
}

Deno.test("Observer dispatches enriched records and counts every outcome", async () => {
  await using logs = await captureLogs();
  const { sink, observer } = setup({ guardPolicy: { allowedSources: ["market"] } });
  assert.deepEqual(await observer.onSnapshot(marketSnapshot(0)), { status: "ignored" });
  observer.start();
  assert.equal(observer.running, true);
  assert.deepEqual(await observer.onSnapshot(marketSnapshot(1)), {
    status: "dispatched",
    runId: "run-1",
  });
  const blocked = await observer.onSnapshot(marketSnapshot(2, { price: NaN }));
  assert.equal(blocked.status, "blocked");
  if (blocked.status === "blocked") {
    assert.equal(blocked.runId, "run-2");
    assert.equal(blocked.blockedBy, "validation");
    assert.match(
      blocked.reasons[0],
      /observation\.inputs\.price: expected a finite number, got NaN/,
    );
  }
  const broker = marketSnapshot(3);
  broker.context.source = "broker";
  assert.equal((await observer.onSnapshot(broker)).status, "blocked");
  observer.stop();
  assert.deepEqual(await observer.onSnapshot(marketSnapshot(4)), { status: "ignored" });
  assert.deepEqual(observer.counters, {
    received: 3,
    dispatched: 1,
    blockedByValidation: 1,
    blockedByGuard: 1,
    ignored: 2,
  });
  assert.equal(sink.records.length, 1);
  assert.equal(sink.records[0].metadata._schema?.record_schema_version, "v1.1.0");
  const messages = logs.messages();
  assert.ok(messages.includes("Observer-Core started"));
  assert.ok(messages.includes("Observer-Core stopped"));
  assert.ok(messages.some((m) => m.startsWith("PatternRecord dispatched")));
  const warnings = logs.records.filter((r) => r.level === "warning");
  assert.deepEqual(warnings.map((w) => w.properties.runId), ["run-2", "run-3"]);
  const debug = logs.records.find((r) => r.level === "debug");
  assert.equal(debug?.properties.runId, "run-1");
});

Deno.test("generated_at follows the wall clock, or the snapshot's own time for replay", async () => {
  await using _logs = await captureLogs();
  const wall = setup({ now: () => Date.UTC(2030, 0, 1) });
  wall.observer.start();
  await wall.observer.onSnapshot(marketSnapshot(0));
  assert.equal(wall.sink.records[0].metadata.generated_at, "2030-01-01T00:00:00.000Z");
  const replay = setup({ generatedAt: "snapshot" });
  replay.observer.start();
  const s = marketSnapshot(7);
  await replay.observer.onSnapshot(s);
  assert.equal(replay.sink.records[0].metadata.generated_at, s.meta.timestamp);
  assert.equal(replay.sink.records[0].metadata._schema?.generated_at, s.meta.timestamp);
});
