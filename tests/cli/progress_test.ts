import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { NO_PROGRESS, startProgress } from "../../src/cli/progress.ts";

function fakeTerminal() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  }) as Writable & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = 100;
  return { stream, text: () => chunks.join("") };
}

Deno.test("no terminal, no progress: nothing is drawn", () => {
  assert.equal(startProgress({ label: "x", totalBytes: 10, enabled: false }), NO_PROGRESS);
});

Deno.test("on a terminal the bar appears only after the delay, with the label and percentage", () => {
  let now = 0;
  const terminal = fakeTerminal();
  const progress = startProgress({
    label: "replay",
    totalBytes: 100 * 1024 * 1024,
    enabled: true,
    delayMs: 2000,
    minBytes: 1024 * 1024 * 1024,
    now: () => now,
    stream: terminal.stream,
  });
  progress.add(10 * 1024 * 1024);
  assert.equal(terminal.text(), "", "quick work shows nothing");
  now = 2500;
  progress.add(40 * 1024 * 1024);
  progress.add(50 * 1024 * 1024);
  progress.stop();
  const text = terminal.text();
  assert.match(text, /replay \[/);
  assert.match(text, /100% \| 100\/100 MiB/);
});

Deno.test("a large input shows the bar from the first chunk", () => {
  const terminal = fakeTerminal();
  const progress = startProgress({
    label: "inspect",
    totalBytes: 100 * 1024 * 1024,
    enabled: true,
    now: () => 0,
    stream: terminal.stream,
  });
  progress.add(1024 * 1024);
  progress.stop();
  assert.match(terminal.text(), /inspect \[/);
});
