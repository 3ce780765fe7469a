/**
 * `observer.ts serve` in a project copy, for end-to-end tests: started with the serve task's
 * flags on a free port, up and answering, and stopped with SIGTERM.
 *
 * @module
 */

import { serveNet, spawnScript } from "./project.ts";
import { freePort } from "./net.ts";

/** Waits (10 s at most) until the service at `base` answers /healthz. */
export async function waitUntilHealthy(base: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${base}/healthz`).then(
      (r) => r.body?.cancel().then(() => r.ok),
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running service and how to stop it. */
export interface RunningService {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Its port. */
  readonly port: number;
  /** Sends SIGTERM and waits for the exit; returns the exit code and output. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** `observer.ts serve` with the serve task's flags (plus the test's port), up and answering. */
export async function startService(
  root: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<RunningService> {
  const port = freePort();
  const child = await spawnScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--listen", `127.0.0.1:${port}`, ...args],
    extraNet: serveNet(root, port),
    env,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(base);
  const stop = async () => {
    child.kill("SIGTERM");
    const output = await child.output();
    return {
      code: output.code,
      stdout: new TextDecoder().decode(output.stdout),
      stderr: new TextDecoder().decode(output.stderr),
    };
  };
  return { base, port, stop };
}

/** One Server-Sent Event. */
export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads Server-Sent Events from `body` until `count` events of `type` came, or `timeoutMs` passed
 * (then returns what came: the caller's assertion says what is missing).
 */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  count: number,
  type = "record",
  timeoutMs = 5000,
): Promise<SseEvent[]> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  while (events.filter((e) => e.event === type).length < count && Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()));
    });
    const result = await Promise.race([reader.read(), late]);
    clearTimeout(timer);
    if (result === "late" || result.done) break;
    const value = result.value;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block.split("\n").filter((l) => !l.startsWith(":") && l.includes(":")).map((l) => {
          const i = l.indexOf(":");
          return [l.slice(0, i), l.slice(i + 1).trimStart()];
        }),
      );
      if (fields.event !== undefined) {
        events.push({ id: fields.id, event: fields.event, data: fields.data ?? "" });
      }
    }
  }
  await reader.cancel();
  return events;
}
