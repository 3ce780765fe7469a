import assert from "node:assert/strict";
import { getObserverLogger } from "../../src/log/logging.ts";
import { type ByteOutput, LineStreamSink } from "../../src/sinks/stream_sink.ts";

/** An output that takes at most `chunk` bytes per call and can be made to fail. */
class TestOutput implements ByteOutput {
  readonly bytes: number[] = [];
  failAfter = Infinity;
  constructor(readonly chunk: number) {}
  write(bytes: Uint8Array): Promise<number> {
    if (this.bytes.length >= this.failAfter) {
      return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
    }
    const n = Math.min(this.chunk, bytes.length, this.failAfter - this.bytes.length);
    this.bytes.push(...bytes.subarray(0, n));
    return Promise.resolve(n);
  }
  text(): string {
    return new TextDecoder().decode(new Uint8Array(this.bytes));
  }
}

const logger = getObserverLogger("test");

Deno.test("stream sink: every record becomes one JSON line, in order, through partial writes", async () => {
  const out = new TestOutput(7);
  const sink = new LineStreamSink<Record<string, unknown>>({
    out,
    name: "stdout",
    logger,
    flushBytes: 100,
  });
  const records = Array.from({ length: 50 }, (_, i) => ({ i, s: "삼성전자 ✓" }));
  for (const r of records) await sink.write(r);
  await sink.close();
  assert.equal(out.text(), records.map((r) => JSON.stringify(r) + "\n").join(""));
  const { flushSeconds, ...counters } = sink.stats();
  assert.ok(flushSeconds !== undefined && flushSeconds.count >= 1);
  assert.deepEqual(counters, {
    written: 50,
    dropped: 0,
    failed: 0,
    failure: undefined,
    failing: false,
    queuedBytes: 0,
    maxQueueBytes: 4194304,
  });
});

Deno.test("stream sink: a broken pipe is a failure episode; lines handed over count, the rest do not", async () => {
  const out = new TestOutput(1 << 20);
  const line = JSON.stringify({ i: 0 }) + "\n";
  out.failAfter = line.length * 3 + 2; // three whole lines and a torn one
  const sink = new LineStreamSink<{ i: number }>({
    out,
    name: "stdout",
    logger,
    maxQueueBytes: line.length * 20,
    flushBytes: line.length * 5,
    flushIntervalMs: 1,
  });
  for (let i = 0; i < 10; i++) await sink.write({ i });
  await sink.flush().then(
    () => assert.fail("flush should reject while the pipe is broken"),
    (e) => assert.match(String(e), /stdout: cannot write: .*Broken pipe/),
  );
  for (let i = 10; i < 40; i++) await sink.write({ i }); // the queue is full: counted as failed
  await sink.close();
  const stats = sink.stats();
  assert.equal(stats.written, 3);
  assert.equal(stats.written + stats.failed, 40, "every record is either written or counted");
  assert.match(stats.failure ?? "", /Broken pipe/);
  assert.ok(out.text().startsWith('{"i":0}\n{"i":1}\n{"i":2}\n'));
});
