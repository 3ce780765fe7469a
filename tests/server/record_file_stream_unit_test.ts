/**
 * RecordFileStream on its own, against a real file being appended to: events are the file's
 * whole lines, exactly, with ids that name the byte offset after each line; a torn line waits
 * for its end; filters; resuming from a Last-Event-ID; the subscriber limit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { RecordFileStream } from "../../src/server/record_file_stream.ts";
import { recordLine } from "../helpers/snapshot_file.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

const encoder = new TextEncoder();

/** One server-sent event. */
interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
}

/** Reads events from `body` until `count` of kind `kind` came (comments and `retry` skipped). */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async next(count: number, kind = "record"): Promise<SseEvent[]> {
      const events: SseEvent[] = [];
      while (events.length < count) {
        const end = buffered.indexOf("\n\n");
        if (end < 0) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`the stream ended after ${events.length} of ${count} events`);
          buffered += value;
          continue;
        }
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event: Record<string, string> = {};
        for (const line of block.split("\n")) {
          const colon = line.indexOf(": ");
          if (line.startsWith(":") || colon < 0) continue;
          event[line.slice(0, colon)] = line.slice(colon + 2);
        }
        if (event.event === kind) events.push(event);
      }
      return events;
    },
    cancel: () => reader.cancel(),
  };
}

async function withFile(
  fn: (path: string, append: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const dir = await tempDir("file-stream");
  const path = join(dir, "observer.jsonl");
  try {
    await Deno.writeTextFile(path, `${recordLine(0)}\n${recordLine(1)}\n`);
    await fn(path, (text) => Deno.writeFile(path, encoder.encode(text), { append: true }));
  } finally {
    await removeTempDir(dir);
  }
}

Deno.test("record file stream: new whole lines only, exactly, with ids naming the offset after each; a torn line waits for its end", async () => {
  await withFile(async (path, append) => {
    const stream = new RecordFileStream(() => path, { pollMs: 5 });
    await stream.start();
    const events = eventReader(stream.subscribe(() => true, undefined));
    const start = (await Deno.stat(path)).size;
    const [a, b, c] = [recordLine(2), recordLine(3), recordLine(4)];
    await append(`${a}\n${b.slice(0, 10)}`);
    const [first] = await events.next(1);
    assert.equal(first.data, a);
    const key = first.id!.split(":")[0];
    assert.equal(first.id, `${key}:${start + a.length + 1}`);
    await append(`${b.slice(10)}\n${c}\n`);
    const [second, third] = await events.next(2);
    assert.deepEqual([second.data, third.data], [b, c]);
    assert.equal(third.id, `${key}:${start + a.length + b.length + c.length + 3}`);
    assert.equal(stream.streamStats().events, 3);
    await stream.close();
    await assert.rejects(events.next(1), /stream ended/);
  });
});

Deno.test("record file stream: a filter passes only its records; a resume from an id continues after it", async () => {
  await withFile(async (path, append) => {
    const stream = new RecordFileStream(() => path, { pollMs: 5 });
    await stream.start();
    const all = eventReader(stream.subscribe(() => true, undefined));
    const wanted = new Set([recordLine(3), recordLine(5)]);
    const odd = eventReader(
      stream.subscribe((record) => wanted.has(JSON.stringify(record)), undefined),
    );
    const lines = [2, 3, 4, 5].map(recordLine);
    await append(lines.map((line) => line + "\n").join(""));
    const seen = await all.next(4);
    assert.deepEqual(seen.map((e) => e.data), lines);
    const odds = await odd.next(2);
    assert.deepEqual(odds.map((e) => e.data), [recordLine(3), recordLine(5)]);
    // A client that saw the first event reconnects: the rest comes from the file.
    const resumed = eventReader(stream.subscribe(() => true, seen[0].id));
    assert.deepEqual((await resumed.next(3)).map((e) => e.data), lines.slice(1));
    // An id of no file of this run: a gap, then live records.
    const lost = eventReader(stream.subscribe(() => true, "zz:12"));
    assert.match((await lost.next(1, "gap"))[0].data!, /names no place/);
    await stream.close();
  });
});

Deno.test("record file stream: no room past maxSubscribers; a cancelled subscriber frees its place", async () => {
  await withFile(async (path) => {
    const stream = new RecordFileStream(() => path, { pollMs: 5, maxSubscribers: 1 });
    await stream.start();
    assert.equal(stream.hasRoom, true);
    const events = eventReader(stream.subscribe(() => true, undefined));
    assert.equal(stream.hasRoom, false);
    assert.equal(stream.streamStats().subscribers, 1);
    await events.cancel();
    assert.equal(stream.hasRoom, true);
    await stream.close();
    assert.equal(stream.hasRoom, false);
  });
});

Deno.test("record file stream: lines appended in any pieces arrive whole, once each, in order (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }),
      async (count, cuts) => {
        await withFile(async (path, append) => {
          const stream = new RecordFileStream(() => path, { pollMs: 2 });
          await stream.start();
          const events = eventReader(stream.subscribe(() => true, undefined));
          const lines = Array.from({ length: count }, (_, i) => recordLine(10 + i));
          const text = lines.map((line) => line + "\n").join("");
          let at = 0;
          for (const cut of cuts) {
            if (at >= text.length) break;
            await append(text.slice(at, at + cut));
            at += cut;
          }
          if (at < text.length) await append(text.slice(at));
          const seen = await events.next(count);
          assert.deepEqual(seen.map((e) => e.data), lines);
          const offsets = seen.map((e) => Number(e.id!.split(":")[1]));
          assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y));
          await stream.close();
        });
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("record file stream: a client resuming while the tail skips ahead with nobody subscribed still gets every line after its id", async () => {
  // The race this guards: the tail, with no subscriber, moves its place to the file's end
  // (an awaited read); a client resuming meanwhile caught up to the old place and went live,
  // and the lines in between were never sent (seen beside a second test suite).
  await withFile(async (path, append) => {
    const stream = new RecordFileStream(() => path, { pollMs: 1 });
    await stream.start();
    let next = 2;
    try {
      for (let trial = 0; trial < 60; trial++) {
        const live = eventReader(stream.subscribe(() => true, undefined));
        await append(`${recordLine(next++)}\n`);
        const [last] = await live.next(1);
        await live.cancel();
        const lines = [0, 1, 2].map(() => recordLine(next++));
        await append(lines.map((line) => line + "\n").join(""));
        await new Promise((resolve) => setTimeout(resolve, trial % 4)); // a poll may be under way
        const resumed = eventReader(stream.subscribe(() => true, last.id));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const missing = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`trial ${trial}: the lines after ${last.id} never came`)),
            10_000,
          );
        });
        try {
          const got = await Promise.race([resumed.next(3), missing]);
          assert.deepEqual(got.map((e) => e.data), lines, `trial ${trial}`);
        } finally {
          clearTimeout(timer);
          await resumed.cancel();
        }
      }
    } finally {
      await stream.close();
    }
  });
});
