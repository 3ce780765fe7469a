import assert from "node:assert/strict";
import { replayFiles } from "../../src/app/replay.ts";
import { EventBus } from "../../src/bus/event_bus.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { Observer } from "../../src/observer/observer.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { fixture } from "../helpers/project.ts";

Deno.test("replayFiles feeds records, snapshots and archives in order, detecting each format", async () => {
  const sink = new MemorySink("memory");
  const observer = new Observer({
    bus: new EventBus([sink], getObserverLogger("bus")),
    logger: getObserverLogger("observer"),
    generatedAt: "snapshot",
  });
  observer.start();
  const formats: string[] = [];
  const result = await replayFiles(observer, [
    fixture("qts-python-records.jsonl"),
    fixture("python-snapshots.jsonl"),
    fixture("kis-swing-20260126.jsonl"),
  ], { onFormat: (file, format) => formats.push(`${file.split("/").pop()}:${format}`) });
  assert.deepEqual(formats, [
    "qts-python-records.jsonl:records",
    "python-snapshots.jsonl:snapshots",
    "kis-swing-20260126.jsonl:kis-swing",
  ]);
  assert.deepEqual(result, { snapshots: 5 + 7 + 1512, rejected: 0 });
  assert.equal(sink.records.length, 5 + 5 + 1512, "the two NaN/Infinity snapshots are blocked");
  assert.equal(sink.records[0].snapshot.meta.run_id, "fixture0000");
  assert.equal(sink.records[0].metadata.generated_at, "2026-11-26T11:12:32.531Z");
  assert.equal(sink.records.at(-1)?.snapshot.meta.mode, "DEV", "the one documented default");
  const aborted = new AbortController();
  aborted.abort();
  assert.deepEqual(
    await replayFiles(observer, [fixture("kis-swing-20260126.jsonl")], { signal: aborted.signal }),
    { snapshots: 0, rejected: 0 },
  );
});
