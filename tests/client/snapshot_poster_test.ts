/**
 * The poster of `main.ts --post` against a real HTTP server on 127.0.0.1 (Deno.serve on a free
 * port) that answers as the Observer service does: what arrives, in which batches, with which
 * headers, and what is retried.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { PostError, SnapshotPoster } from "../../src/client/snapshot_poster.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

/** One request as the server saw it. */
interface Seen {
  readonly lines: string[];
  readonly headers: Headers;
  readonly url: URL;
}

/** What the server answers to the `n`th request (0-based): undefined for a normal answer. */
type Script = (n: number, seen: Seen) => Response | undefined;

/** A server recording each request's (gunzipped) lines; `script` may answer otherwise. */
async function withServer(
  script: Script,
  fn: (url: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const inflated = request.body!.pipeThrough(new DecompressionStream("gzip"));
    const text = await new Response(inflated).text();
    const entry = {
      lines: text.split("\n").slice(0, -1),
      headers: request.headers,
      url: new URL(request.url),
    };
    const n = seen.length;
    seen.push(entry);
    const scripted = script(n, entry);
    if (scripted !== undefined) return scripted;
    return Response.json({ accepted: entry.lines.length, blocked: [], rejected: [] });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/v1/snapshots`, seen);
  } finally {
    await server.shutdown();
  }
}

/** Waits recorded instead of slept: no wall clock. */
function recordedSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

Deno.test("SnapshotPoster: only http(s) URLs", () => {
  assert.throws(() => new SnapshotPoster({ url: "ftp://127.0.0.1/x" }), RangeError);
  assert.throws(() => new SnapshotPoster({ url: "not a url" }), TypeError);
});

Deno.test("SnapshotPoster: batches of JSON lines, gzipped, with the token and the ack mode; totals from the answers", async () => {
  await withServer(
    (n) =>
      n === 1
        ? Response.json({ accepted: 1, blocked: [{ line: 2 }], rejected: [{ line: 3 }] })
        : undefined,
    async (url, seen) => {
      const poster = new SnapshotPoster({ url, token: "s3cret", batch: 3, ack: "durable" });
      const snapshots = Array.from({ length: 5 }, (_, i) => marketSnapshot(i));
      for (const snapshot of snapshots) await poster.onSnapshot(snapshot);
      assert.equal(seen.length, 1, "a full batch is posted at once, the rest waits");
      const totals = await poster.close();
      assert.deepEqual(seen.map((s) => s.lines.length), [3, 2]);
      assert.deepEqual(seen.flatMap((s) => s.lines), snapshots.map((s) => JSON.stringify(s)));
      for (const request of seen) {
        assert.equal(request.headers.get("authorization"), "Bearer s3cret");
        assert.equal(request.headers.get("content-encoding"), "gzip");
        assert.equal(request.headers.get("content-type"), "application/x-ndjson");
        assert.equal(request.url.searchParams.get("ack"), "durable");
      }
      assert.deepEqual(totals, { batches: 2, accepted: 4, blocked: 1, rejected: 1, retries: 0 });
      assert.deepEqual(await poster.close(), totals, "closing again posts nothing");
    },
  );
});

Deno.test("SnapshotPoster: a 503 is retried after its Retry-After, else with a doubling backoff; the batch is recorded once", async () => {
  await withServer((n) => {
    if (n === 0) return new Response("busy", { status: 503, headers: { "retry-after": "2" } });
    if (n === 1 || n === 2) return new Response("busy", { status: 503 });
    return undefined;
  }, async (url, seen) => {
    const { sleep, waits } = recordedSleep();
    const poster = new SnapshotPoster({ url, sleep });
    await poster.onSnapshot(marketSnapshot(0));
    const totals = await poster.close();
    assert.deepEqual(waits, [2000, 100, 200]);
    assert.equal(seen.length, 4);
    assert.equal(totals.retries, 3);
    assert.equal(totals.accepted, 1);
    assert.equal(totals.batches, 1);
    assert.equal(poster.totals.retries, 3);
  });
});

Deno.test("SnapshotPoster: another refusal (401, 413) is final at once, with the status and the service's words", async () => {
  for (const status of [401, 413]) {
    await withServer(() => new Response(`refused ${status}\n`, { status }), async (url, seen) => {
      const { sleep, waits } = recordedSleep();
      const poster = new SnapshotPoster({ url, sleep });
      await poster.onSnapshot(marketSnapshot(0));
      await assert.rejects(
        poster.close(),
        (error) =>
          error instanceof PostError &&
          error.message === `${status} from ${url}: refused ${status}`,
      );
      assert.equal(seen.length, 1);
      assert.deepEqual(waits, []);
    });
  }
});

Deno.test("SnapshotPoster: 503 on every attempt gives up after `attempts`", async () => {
  await withServer(() => new Response("busy", { status: 503 }), async (url, seen) => {
    const { sleep, waits } = recordedSleep();
    const poster = new SnapshotPoster({ url, sleep, attempts: 4 });
    await poster.onSnapshot(marketSnapshot(0));
    await assert.rejects(poster.close(), /still refused a batch after 4 attempts/);
    assert.equal(seen.length, 4);
    assert.deepEqual(waits, [50, 100, 200]);
  });
});

Deno.test("SnapshotPoster: a refused connection is retried (the service may be starting), then given up on", async () => {
  // A port that was just listened on and is closed now: connecting to it is refused.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const { sleep, waits } = recordedSleep();
  const poster = new SnapshotPoster({
    url: `http://127.0.0.1:${port}/v1/snapshots`,
    sleep,
    attempts: 3,
  });
  await poster.onSnapshot(marketSnapshot(0));
  await assert.rejects(poster.close(), /still refused a batch after 3 attempts/);
  assert.deepEqual(waits, [50, 100]);
  assert.equal(poster.totals.retries, 2);
});

Deno.test("SnapshotPoster: every snapshot arrives once, in order, in batches of `batch` (property)", async () => {
  await withServer(() => undefined, async (url, seen) => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        async (count, batch) => {
          seen.length = 0;
          const poster = new SnapshotPoster({ url, batch });
          const snapshots = Array.from({ length: count }, (_, i) => marketSnapshot(i));
          for (const snapshot of snapshots) await poster.onSnapshot(snapshot);
          const totals = await poster.close();
          assert.deepEqual(seen.flatMap((s) => s.lines), snapshots.map((s) => JSON.stringify(s)));
          assert.equal(seen.length, Math.ceil(count / batch));
          assert.ok(seen.slice(0, -1).every((s) => s.lines.length === batch));
          assert.equal(totals.accepted, count);
          assert.equal(totals.batches, seen.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
