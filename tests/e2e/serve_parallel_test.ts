/**
 * The service's NDJSON bodies recorded by the workers (`observer.ts serve --workers N`), end to
 * end: the same answers, records (generated_at aside), dead letters and live stream as one
 * thread; concurrent requests sharing the pool each land whole and in order; and a service
 * parallel recording cannot serve refused with exit 2 when `--workers` is given.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir, runScript } from "../helpers/project.ts";
import { mixedInput } from "../helpers/mixed_input.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { SseReader, startService } from "../helpers/service.ts";

/** The service's flags for the mixed input's long line (rejected, the others recorded). */
const LIMITS = ["--max-line-bytes", "65536"];

async function post(base: string, body: string, query = "") {
  const response = await fetch(`${base}/v1/snapshots${query}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-ndjson" },
  });
  assert.equal(response.status, 200, `POST: ${response.status}`);
  return await response.json();
}

/** Both generated_at stamps of a record (or a stream event's data) made the same. */
const sameClock = (line: string) =>
  line.replaceAll(/"generated_at":"[^"]*"/g, '"generated_at":"(wall clock)"');

Deno.test("serve --workers 2 records NDJSON bodies as --workers 1 does: the same answers, records (generated_at aside), dead letters with line numbers, and live stream of passed and blocked records in input order", async () => {
  const root = await copyProject();
  const { text, planted, good } = mixedInput(9000);
  const blockedCount = planted.filter((p) => p.kind === "blocked").length;
  const lines = text.split("\n").slice(0, -1);
  const bodies = Array.from(
    { length: Math.ceil(lines.length / 300) },
    (_, k) => lines.slice(300 * k, 300 * (k + 1)).join("\n") + "\n",
  );
  const small = [snapshotLine(100_001), snapshotLine(100_002).replace(/"price":\d+/, '"price":NaN')]
    .join("\r\n") + "\r\n";
  const runs = new Map<string, {
    answers: unknown[];
    records: string[];
    letters: unknown[];
    events: { id?: string; data: string }[];
    summary: string;
  }>();
  for (const workers of ["1", "2"]) {
    const file = `w${workers}.jsonl`;
    const service = await startService(root, ["--workers", workers, "--file", file, ...LIMITS]);
    const answers = [];
    const events = [];
    let stopped: Awaited<ReturnType<typeof service.stop>>;
    try {
      // From memory: this stream takes blocked records too, so it is not read from the file.
      const stream = await fetch(`${service.base}/v1/stream?guard=PASS&guard=BLOCK`);
      // A subscriber that lets 1 MiB pile up is let go: each body's events (300 lines, about
      // 450 KB) are read before the next body is posted.
      const reader = new SseReader(stream.body!);
      for (const body of [...bodies, small]) {
        const answer = await post(service.base, body);
        answers.push(answer);
        events.push(...await reader.read(answer.accepted + answer.blocked.length));
      }
      await reader.cancel();
    } finally {
      stopped = await service.stop();
    }
    assert.equal(stopped.code, 1, stopped.stderr.slice(0, 2000));
    runs.set(workers, {
      answers,
      records: (await fileLines(join(observerDir(root), file))).map(sameClock),
      letters: (await fileLines(join(observerDir(root), `w${workers}.rejected.jsonl`))).map(
        (line) => {
          const { recorded_at: _, input, ...entry } = JSON.parse(line);
          // The input names the client's address, a new port per connection.
          return { ...entry, input: input.replace(/:\d+#/, ":(port)#") };
        },
      ),
      events: events.map((e) => ({ id: e.id, data: sameClock(e.data) })),
      summary: stopped.stdout.replace(/ file=.*/, ""),
    });
  }
  const one = runs.get("1")!;
  const two = runs.get("2")!;
  const answers = one.answers as { accepted: number; blocked: { line: number }[] }[];
  assert.equal(answers.slice(0, -1).reduce((n, a) => n + a.accepted, 0), good);
  assert.deepEqual(
    answers.slice(0, -1).flatMap((a, k) => a.blocked.map((b) => 300 * k + b.line)),
    planted.filter((p) => p.kind === "blocked").map((p) => p.line),
    "blocked lines answered by number",
  );
  assert.equal(one.records.length, good + 1);
  assert.equal(one.events.length, good + blockedCount + 2, "the stream got every record");
  assert.deepEqual(two.answers, one.answers, "the same answers");
  assert.deepEqual(two.records, one.records, "the same records, in the same order");
  assert.deepEqual(two.letters, one.letters, "the same dead letters");
  // Stream ids are `<run>-<seq>`, the run random per start: the same sequence numbers.
  const withoutRun = (events: { id?: string }[]) =>
    events.map((e) => ({ ...e, id: e.id?.replace(/^[0-9a-f]+-/, "") }));
  assert.match(one.events[0].id ?? "", /^[0-9a-f]+-\d+$/);
  assert.deepEqual(
    withoutRun(two.events),
    withoutRun(one.events),
    "the same events, ids and order, blocked ones among",
  );
  assert.equal(two.summary, one.summary);
});

Deno.test("serve --workers 2: concurrent requests share the workers; each request's records land once each, in its own order", async () => {
  const root = await copyProject();
  const service = await startService(root, ["--workers", "2"]);
  const clients = 4;
  const perRequest = 1500;
  const requests = 3;
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let r = 0; r < requests; r++) {
          const from = (c * requests + r) * perRequest;
          let body = "";
          for (let i = from; i < from + perRequest; i++) body += snapshotLine(i) + "\n";
          const answer = await post(service.base, body, r === requests - 1 ? "?ack=durable" : "");
          assert.equal(answer.accepted, perRequest);
        }
      }),
    );
  } finally {
    const stopped = await service.stop();
    assert.equal(stopped.code, 0, stopped.stderr.slice(0, 2000));
    assert.match(
      stopped.stdout,
      new RegExp(`^summary: written=${clients * requests * perRequest} `),
    );
  }
  const ids = (await fileLines(join(observerDir(root), "observer.jsonl")))
    .map((line) => Number(JSON.parse(line).snapshot.meta.run_id.slice(1)));
  assert.equal(new Set(ids).size, clients * requests * perRequest, "each record once");
  for (let request = 0; request < clients * requests; request++) {
    const own = ids.filter((i) => Math.floor(i / perRequest) === request);
    assert.deepEqual(own, [...own].sort((a, b) => a - b), `request ${request} in its own order`);
  }
});

Deno.test("serve --workers 2 where parallel recording cannot serve exits 2 naming why; without the flag it records on one thread", async () => {
  const root = await copyProject();
  const fanOut = join(root, "fan_out.jsonc");
  await Deno.copyFile(join(import.meta.dirname!, "../../examples/config/fan_out.jsonc"), fanOut);
  const refused = await runScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--config", fanOut, "--workers", "2"],
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /^error: --workers 2: parallel recording writes one JSONL file; expected one sink/m,
  );
  const service = await startService(root, ["--config", fanOut]);
  try {
    assert.equal((await post(service.base, snapshotLine(1) + "\n")).accepted, 1);
  } finally {
    const stopped = await service.stop();
    assert.equal(stopped.code, 0, stopped.stderr.slice(0, 2000));
  }
});
