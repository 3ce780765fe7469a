import assert from "node:assert/strict";
import { join } from "node:path";
import { getObserverLogger } from "../../src/log/logging.ts";
import { JsonlFileSink } from "../../src/sinks/jsonl_file_sink.ts";
import { acquireRecordLock, RecordFileBusyError } from "../../src/sinks/record_lock.ts";
import { openForAppend, UnsafeFileError } from "../../src/sinks/safe_file.ts";
import { tempDir } from "../helpers/temp.ts";

const logger = getObserverLogger("test");

async function rootWithOutsideFile(): Promise<{ root: string; dir: string; outside: string }> {
  const root = await tempDir("safe");
  const dir = join(root, "data", "observer");
  await Deno.mkdir(dir, { recursive: true });
  const outside = join(root, "outside.ts");
  await Deno.writeTextFile(outside, "export const x = 1;\n");
  return { root, dir, outside };
}

Deno.test("a record file that is a symbolic link (even a dangling one) is refused, nothing written", async () => {
  const { root, dir, outside } = await rootWithOutsideFile();
  await Deno.symlink(outside, join(dir, "x.jsonl"));
  await assert.rejects(
    JsonlFileSink.open({ root, fileName: "x.jsonl", logger }),
    (e) => e instanceof UnsafeFileError && /x\.jsonl is a symbolic link: refusing/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(outside), "export const x = 1;\n");
  const dangling = join(root, "created-outside.jsonl");
  await Deno.symlink(dangling, join(dir, "d.jsonl"));
  await assert.rejects(JsonlFileSink.open({ root, fileName: "d.jsonl", logger }), UnsafeFileError);
  assert.equal(await Deno.stat(dangling).catch(() => null), null, "nothing created outside");
});

Deno.test("a record file with a second hard link (to a file outside) is refused", async () => {
  const { root, dir, outside } = await rootWithOutsideFile();
  await Deno.link(outside, join(dir, "x.jsonl"));
  await assert.rejects(
    JsonlFileSink.open({ root, fileName: "x.jsonl", logger }),
    (e) => e instanceof UnsafeFileError && /has 2 hard links/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(outside), "export const x = 1;\n");
});

Deno.test("a rotation target planted as a link is refused, and the sink does not write through it", async () => {
  const { root, dir, outside } = await rootWithOutsideFile();
  const now = Date.UTC(2026, 0, 26, 3, 18);
  await Deno.symlink(outside, join(dir, "x_20260126_0318.jsonl"));
  await assert.rejects(
    JsonlFileSink.open({
      root,
      fileName: "x.jsonl",
      logger,
      now: () => now,
      rotation: { everyMinutes: 1 },
    }),
    UnsafeFileError,
  );
  assert.equal(await Deno.readTextFile(outside), "export const x = 1;\n");
});

Deno.test("openForAppend opens a regular file and creates a missing one", async () => {
  const dir = await tempDir();
  using file = await openForAppend(join(dir, "new.jsonl"));
  await file.write(new TextEncoder().encode("{}\n"));
  assert.equal(await Deno.readTextFile(join(dir, "new.jsonl")), "{}\n");
});

Deno.test("one writer per record base: a second lock (or sink) on it is refused, naming the owner's pid", async () => {
  const dir = await tempDir();
  const first = await acquireRecordLock(dir, "x", join(dir, "x.jsonl"));
  await assert.rejects(
    acquireRecordLock(dir, "x", join(dir, "x.jsonl")),
    (e) =>
      e instanceof RecordFileBusyError && e.ownerPid === Deno.pid &&
      e.message.includes(`x.jsonl is being written by another process (pid ${Deno.pid})`),
  );
  first.release();
  using _again = await acquireRecordLock(dir, "x", join(dir, "x.jsonl"));
});

Deno.test("a sink holds its base's lock until it closes", async () => {
  const root = await tempDir();
  const sink = await JsonlFileSink.open({ root, fileName: "x.jsonl", logger });
  await assert.rejects(
    JsonlFileSink.open({ root, fileName: "x.jsonl", logger }),
    RecordFileBusyError,
  );
  await sink.close();
  const next = await JsonlFileSink.open({ root, fileName: "x.jsonl", logger });
  await next.close();
});
