import assert from "node:assert/strict";
import { join } from "node:path";
import { Command } from "commander";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "../../src/cli/exit_codes.ts";
import { addCommonOptions, type CommonFlags } from "../../src/cli/sink_options.ts";
import { runRecordingCommand } from "../../src/cli/recording_command.ts";
import {
  abortOnShutdownSignals,
  SECOND_SIGNAL_GRACE_MS,
  shutdownSignalHandler,
} from "../../src/cli/signals.ts";
import { writeAllSync } from "../../src/cli/stdio.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { fileLines } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

const flags = (args: string[] = []) =>
  addCommonOptions(new Command("t").exitOverride()).parse(["--log-level", "error", ...args], {
    from: "user",
  }).opts<CommonFlags>();

const noExit = () => assert.fail("forceExit must not be called");
const noEnv = () => undefined;

Deno.test("runRecordingCommand: a clean feed exits 0; blocked or rejected input exits 1", async () => {
  const root = await tempDir();
  const clean = await runRecordingCommand({
    root,
    flags: flags(["--file", "a.jsonl", "--fsync", "none"]),
    forceExit: noExit,
    env: noEnv,
    feed: async (observer) => {
      await observer.onSnapshot(marketSnapshot(1));
      return { rejected: 0 };
    },
  });
  assert.equal(clean, EXIT_OK);
  assert.equal((await fileLines(join(root, "data", "observer", "a.jsonl"))).length, 1);
  const blocked = await runRecordingCommand({
    root,
    flags: flags(["--file", "b.jsonl"]),
    forceExit: noExit,
    env: noEnv,
    feed: async (observer) => {
      await observer.onSnapshot(marketSnapshot(1, { price: NaN }));
      return { rejected: 0 };
    },
  });
  assert.equal(blocked, EXIT_INCOMPLETE);
  const rejected = await runRecordingCommand({
    root,
    flags: flags(["--file", "c.jsonl"]),
    forceExit: noExit,
    env: noEnv,
    feed: () => Promise.resolve({ rejected: 1 }),
  });
  assert.equal(rejected, EXIT_INCOMPLETE);
});

Deno.test("runRecordingCommand: a bad --file exits 2; a failing feed still closes and exits 1", async () => {
  const root = await tempDir();
  const bad = await runRecordingCommand({
    root,
    flags: flags(["--file", "../x.jsonl"]),
    forceExit: noExit,
    env: noEnv,
    feed: () => assert.fail("no feed without a pipeline"),
  });
  assert.equal(bad, EXIT_USAGE);
  const failing = await runRecordingCommand({
    root,
    flags: flags(["--file", "d.jsonl"]),
    forceExit: noExit,
    env: noEnv,
    feed: async (observer) => {
      await observer.onSnapshot(marketSnapshot(1));
      throw new Error("input vanished");
    },
  });
  assert.equal(failing, EXIT_INCOMPLETE);
  assert.equal((await fileLines(join(root, "data", "observer", "d.jsonl"))).length, 1);
});

Deno.test("the first SIGTERM aborts, a second one after the grace forces an exit", async () => {
  const controller = new AbortController();
  let forced = 0;
  let now = 0;
  {
    using _signals = abortOnShutdownSignals(controller, () => forced++, { now: () => now });
    Deno.kill(Deno.pid, "SIGTERM");
    for (let i = 0; i < 100 && !controller.signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(controller.signal.aborted, true);
    now = SECOND_SIGNAL_GRACE_MS;
    Deno.kill(Deno.pid, "SIGTERM");
    for (let i = 0; i < 100 && forced === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(forced, 1);
  }
});

Deno.test("a signal within the grace after the first is its echo, not a second signal", () => {
  // Ctrl+C in a terminal reaches the script from the terminal and again through deno task.
  const controller = new AbortController();
  let forced = 0;
  let now = 100;
  const handler = shutdownSignalHandler(controller, () => forced++, { now: () => now });
  handler();
  assert.equal(controller.signal.aborted, true);
  now = 101;
  handler();
  now = 100 + SECOND_SIGNAL_GRACE_MS - 1;
  handler();
  assert.equal(forced, 0, "echoes of the first signal do not force an exit");
  now = 100 + SECOND_SIGNAL_GRACE_MS;
  handler();
  assert.equal(forced, 1, "a deliberate second signal later does");
});

Deno.test("writeAllSync loops over partial writes", () => {
  const chunks: number[] = [];
  writeAllSync(
    { writeSync: (p) => (chunks.push(Math.min(3, p.length)), Math.min(3, p.length)) },
    "abcdefgh",
  );
  assert.deepEqual(chunks, [3, 3, 2]);
});
