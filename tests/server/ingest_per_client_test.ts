/**
 * One client's slow bodies cannot hold every ingest slot: beyond `maxRequestsPerClient`
 * requests at once from one address, that address gets 503 with Retry-After, while another
 * client address is still served; once the slow bodies end they are recorded.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openPipeline } from "../../src/app/pipeline.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { SERVER_LIMITS, startObserverServer } from "../../src/server/observer_server.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";

const encoder = new TextEncoder();

/** A POST whose body sends one line, then waits for `release` before its last line. */
function slowPost(url: string, first: number, release: Promise<void>): Promise<Response> {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(snapshotLine(first) + "\n"));
      await release;
      controller.enqueue(encoder.encode(snapshotLine(first + 1) + "\n"));
      controller.close();
    },
  });
  return fetch(url, { method: "POST", body });
}

Deno.test("ingest: a client address over --max-requests-per-client gets 503 with Retry-After while another address is served; its slow bodies are recorded once they end", async () => {
  const root = await tempDir("per-client");
  const pipeline = await openPipeline({ root });
  const server = await startObserverServer({
    pipeline,
    hostname: "127.0.0.1",
    port: 0,
    socketPath: join(root, "data", "observer", ".serve.sock"),
    limits: { ...SERVER_LIMITS, maxRequestsPerClient: 2, maxConcurrentRequests: 8 },
    logger: getObserverLogger("server"),
  });
  const url = `http://127.0.0.1:${server.port}/v1/snapshots`;
  const other = Deno.createHttpClient({ localAddress: "127.0.0.2" });
  const { promise: release, resolve: letGo } = Promise.withResolvers<void>();
  let served = 0;
  try {
    const slow = [slowPost(url, 100, release), slowPost(url, 200, release)];
    // A third request from the same address is refused once both slow ones hold their slots
    // (until then it may be served: it is then simply recorded).
    let refused: Response | undefined;
    await waitFor("a third request from one address refused", async () => {
      const response = await fetch(url, { method: "POST", body: snapshotLine(300 + served) });
      if (response.status === 503) {
        refused = response;
        return true;
      }
      const answer = await response.text();
      assert.equal(response.status, 200, answer);
      served++;
      return false;
    });
    assert.equal(refused!.headers.get("retry-after"), "1");
    assert.match(await refused!.text(), /at most 2 ingest requests at once from one client/);

    const fromOther = await fetch(url, {
      method: "POST",
      body: snapshotLine(400),
      client: other,
    });
    assert.equal(fromOther.status, 200, "another client address is still served");
    assert.equal((await fromOther.json()).accepted, 1);

    letGo();
    for (const response of await Promise.all(slow)) {
      assert.equal(response.status, 200);
      assert.equal((await response.json()).accepted, 2);
    }
  } finally {
    letGo();
    other.close();
    await server.shutdown();
    await pipeline.close();
  }
  const lines = (await Deno.readTextFile(join(root, "data", "observer", "observer.jsonl")))
    .trimEnd().split("\n");
  // Two slow bodies of two snapshots, the other client's one, and any third request served
  // before both slow ones held their slots; nothing of the refused one.
  assert.equal(lines.length, 2 * 2 + 1 + served, "every accepted snapshot recorded, once");
});
