/**
 * SIGTERM while requests are in flight: several clients post without pause to a real
 * `observer.ts serve`, which is sent SIGTERM in the middle. Every request whose records reached
 * the file must have been answered 200 whole (none only with a disconnect), and every request
 * answered 200 must be in the file: the shutdown stops accepting, lets every request that came
 * finish and its answer reach its client, and only then closes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const CLIENTS = 5;
const BATCH = 25;
/** Clients whose request heads come in pieces: at SIGTERM some are accepted, heads half sent. */
const SLOW_CLIENTS = 2;

/** What one client saw: the batches answered 200, and those that ended otherwise. */
interface ClientLog {
  acked: number[];
  other: { batch: number; how: string }[];
}

/** The batch (of {@linkcode BATCH} snapshots) that snapshot index `i` belongs to. */
const batchOf = (i: number) => Math.floor(i / BATCH);

/** One POST by fetch: its status and whole answer (this throws when the answer is cut). */
async function fetchPost(base: string, body: string): Promise<[number, string]> {
  const response = await fetch(`${base}/v1/snapshots`, { method: "POST", body });
  return [response.status, await response.text()];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One POST on a raw socket whose head comes in pieces (a client far away): its status and the
 * answer's body, read until the service closes (0 when no answer came).
 */
async function slowPost(port: number, body: string): Promise<[number, string]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new TextEncoder().encode(body);
    const head = `POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Content-Type: application/x-ndjson\r\nContent-Length: ${bytes.length}\r\n\r\n`;
    for (const piece of [head.slice(0, 20), head.slice(20, 60), head.slice(60)]) {
      await conn.write(new TextEncoder().encode(piece));
      await sleep(40);
    }
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    const answer = await new Response(conn.readable).text();
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    return [status, answer.slice(answer.indexOf("\r\n\r\n") + 4)];
  } finally {
    try {
      conn.close();
    } catch {
      // closed with its readable
    }
  }
}

/** Posts batches with `post` until `stopped` and a request fails (the service is gone). */
async function client(
  id: number,
  stopped: () => boolean,
  post: (body: string) => Promise<[number, string]>,
): Promise<ClientLog> {
  const log: ClientLog = { acked: [], other: [] };
  for (let n = 0; n < 100_000; n++) {
    const batch = id * 100_000 + n;
    let body = "";
    for (let i = batch * BATCH; i < (batch + 1) * BATCH; i++) body += snapshotLine(i) + "\n";
    let answered = false;
    try {
      const [status, text] = await post(body);
      if (status === 200 && JSON.parse(text).accepted === BATCH) {
        log.acked.push(batch);
        continue;
      }
      answered = status !== 0;
      log.other.push({ batch, how: `${status} ${text.slice(0, 100)}` });
    } catch (error) {
      log.other.push({ batch, how: String(error).slice(0, 100) });
    }
    if (stopped() && !answered) break; // the service is gone
  }
  return log;
}

Deno.test("serve: SIGTERM while clients post without pause: every request whose records are in the file was answered 200 whole, and every 200 is in the file", async () => {
  for (let round = 0; round < 2; round++) {
    const root = await copyProject();
    const service = await startService(root);
    let stopped = false;
    const clients = [
      ...Array.from(
        { length: CLIENTS },
        (_, id) => client(id, () => stopped, (body) => fetchPost(service.base, body)),
      ),
      ...Array.from(
        { length: SLOW_CLIENTS },
        (_, id) => client(CLIENTS + id, () => stopped, (body) => slowPost(service.port, body)),
      ),
    ];
    // Let them post a while: then SIGTERM with requests in flight.
    await sleep(1000 + 250 * round);
    const exit = service.stop();
    stopped = true;
    const { code, stderr } = await exit;
    const logs = await Promise.all(clients);
    assert.equal(code, 0, stderr.slice(-2000));

    const text = await Deno.readTextFile(join(root, "data", "observer", "observer.jsonl"));
    const recorded = new Map<number, number>(); // batch -> records in the file
    for (const line of text.split("\n").filter((l) => l !== "")) {
      const i = Number(JSON.parse(line).snapshot.meta.run_id.slice(1));
      recorded.set(batchOf(i), (recorded.get(batchOf(i)) ?? 0) + 1);
    }
    const acked = new Set(logs.flatMap((l) => l.acked));
    const unanswered = [...recorded.keys()].filter((b) => !acked.has(b));
    const how = logs.flatMap((l) => l.other).filter((o) => recorded.has(o.batch));
    assert.deepEqual(unanswered, [], `recorded but not answered 200: ${JSON.stringify(how)}`);
    const missing = [...acked].filter((b) => recorded.get(b) !== BATCH);
    assert.deepEqual(missing, [], "answered 200 but not (all) in the file");
    assert.ok(acked.size > CLIENTS, `the clients posted (${acked.size} batches answered)`);
    console.log(
      `round ${round}: ${acked.size} batches answered 200 and recorded, ` +
        `${logs.flatMap((l) => l.other).length} requests refused or cut (none recorded)`,
    );
  }
});
