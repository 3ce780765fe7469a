import assert from "node:assert/strict";
import { EventBus } from "../../src/bus/event_bus.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { Observer } from "../../src/observer/observer.ts";
import { runSimulatedSession, sessionSnapshots } from "../../src/runtime/qts_runtime.ts";
import { MemorySink } from "../helpers/memory_sink.ts";

function observerWith(sink: MemorySink): Observer {
  const observer = new Observer({
    bus: new EventBus([sink], getObserverLogger("bus")),
    logger: getObserverLogger("observer"),
  });
  observer.start();
  return observer;
}

Deno.test("a simulated session hands every tick to the Observer as a valid market snapshot", async () => {
  const sink = new MemorySink("memory");
  const result = await runSimulatedSession(observerWith(sink), {
    symbols: ["A", "B", "C"],
    ticks: 25,
    seed: 3,
    startMs: Date.UTC(2026, 0, 26),
    sessionId: "s",
    mode: "DEV",
    featureWindow: 5,
  });
  assert.deepEqual(result, { snapshots: 75, interrupted: false });
  assert.equal(sink.records.length, 75);
  const last = sink.records[74].snapshot;
  assert.equal(last.context.symbol, "C");
  assert.equal(last.meta.timestamp, new Date(Date.UTC(2026, 0, 26) + 24_000).toISOString());
  assert.equal(last.observation.state.window_fill, 5);
  assert.equal(typeof last.observation.computed.volatility, "number");
});

Deno.test("an aborted session stops early and says so", async () => {
  const sink = new MemorySink("memory");
  const controller = new AbortController();
  controller.abort();
  const result = await runSimulatedSession(observerWith(sink), {
    symbols: ["A"],
    ticks: 10,
    seed: 1,
    startMs: 0,
    sessionId: "s",
    mode: "DEV",
    signal: controller.signal,
  });
  assert.deepEqual(result, { snapshots: 0, interrupted: true });
});

Deno.test("a receiver that takes snapshots at once (returns nothing) gets the same session, in order, as sessionSnapshots makes it; a returned promise is waited for", async () => {
  const options = {
    symbols: ["A", "B"],
    ticks: 300,
    seed: 9,
    startMs: Date.UTC(2026, 0, 26),
    sessionId: "s",
    mode: "DEV",
  };
  const taken: unknown[] = [];
  const result = await runSimulatedSession({ onSnapshot: (s) => void taken.push(s) }, options);
  assert.deepEqual(result, { snapshots: 600, interrupted: false });
  const strip = (s: unknown) => ({ ...(s as { meta: object }), meta: { run_id: "" } });
  assert.deepEqual(taken.map(strip), [...sessionSnapshots(options)].map(strip));
  let inFlight = 0;
  let most = 0;
  await runSimulatedSession({
    onSnapshot: async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 0));
      inFlight--;
    },
  }, { ...options, ticks: 5 });
  assert.equal(most, 1, "the session waited for each promise before the next snapshot");
});
