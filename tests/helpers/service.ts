/**
 * `observer.ts serve` in a project copy, for end-to-end tests: started with the serve task's
 * flags on a free port, up and answering, and stopped with SIGTERM.
 *
 * @module
 */

import { serveNet, spawnScript } from "./project.ts";
import { freePort } from "./net.ts";

/**
 * Waits (10 s at most) until the service at `base` answers /healthz (through `client`, e.g.
 * one that trusts a test CA, when given).
 */
export async function waitUntilHealthy(base: string, client?: Deno.HttpClient): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${base}/healthz`, { client }).then(
      (r) => r.body?.cancel().then(() => r.ok),
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A running service and how to stop it. */
export interface RunningService {
  /** `http://127.0.0.1:<port>` (`https://` with a client given). */
  readonly base: string;
  /** Its port. */
  readonly port: number;
  /** Sends SIGTERM and waits for the exit; returns the exit code and output. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * `observer.ts serve` with the serve task's flags (plus the test's port), up and answering; with
 * `client` (HTTPS: `--tls-cert` among `args`), checked through it.
 */
export async function startService(
  root: string,
  args: string[] = [],
  env: Record<string, string> = {},
  extraNet: string[] = [],
  client?: Deno.HttpClient,
): Promise<RunningService> {
  const port = freePort();
  const child = await spawnScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--listen", `127.0.0.1:${port}`, ...args],
    extraNet: [...serveNet(root, port), ...extraNet],
    env,
  });
  const base = `${client === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  await waitUntilHealthy(base, client);
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

/**
 * Everything the server sends on `conn` until it closes it. When `ms` pass first the connection
 * is closed and, by default, this throws; with `onTimeout: "return"` what came is returned.
 */
export async function readUntilClosed(
  conn: Deno.Conn,
  ms: number,
  options: { readonly onTimeout?: "throw" | "return" } = {},
): Promise<string> {
  const timer = setTimeout(() => conn.close(), ms);
  let text = "";
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch (error) {
    if (options.onTimeout !== "return") {
      throw new Error(`the server did not close the connection within ${ms} ms (${error})`);
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // closed
  }
  return text + decoder.decode();
}

/** One Server-Sent Event. */
export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * Reads Server-Sent Events from one stream, a batch at a time: each {@linkcode SseReader.read}
 * goes on where the last one stopped.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** Events parsed and not yet returned. */
  #pending: SseEvent[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Reads until `count` more events of `type` came (returning them and the events of other
   * types among them), or `timeoutMs` passed, or the stream ended (then returns what came: the
   * caller's assertion says what is missing).
   */
  async read(count: number, type = "record", timeoutMs = 5000): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    let matched = 0;
    const take = () => {
      while (matched < count && this.#pending.length > 0) {
        const event = this.#pending.shift()!;
        events.push(event);
        if (event.event === type) matched++;
      }
    };
    take();
    const deadline = Date.now() + timeoutMs;
    while (matched < count && Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), Math.max(0, deadline - Date.now()));
      });
      const result = await Promise.race([this.#reader.read(), late]);
      clearTimeout(timer);
      if (result === "late" || result.done) break;
      this.#buffer += result.value;
      let end;
      let from = 0;
      while ((end = this.#buffer.indexOf("\n\n", from)) >= 0) {
        const block = this.#buffer.slice(from, end);
        from = end + 2;
        const fields = Object.fromEntries(
          block.split("\n").filter((l) => !l.startsWith(":") && l.includes(":")).map((l) => {
            const i = l.indexOf(":");
            return [l.slice(0, i), l.slice(i + 1).trimStart()];
          }),
        );
        if (fields.event !== undefined) {
          this.#pending.push({ id: fields.id, event: fields.event, data: fields.data ?? "" });
        }
      }
      this.#buffer = this.#buffer.slice(from);
      take();
    }
    return events;
  }

  /** Stops reading the stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

/**
 * Reads Server-Sent Events from `body` until `count` events of `type` came, or `timeoutMs` passed
 * (then returns what came: the caller's assertion says what is missing). The bound is generous
 * (30 s): it only matters when something is missing, and a busy machine took over 5 s.
 */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  count: number,
  type = "record",
  timeoutMs = 30_000,
): Promise<SseEvent[]> {
  const reader = new SseReader(body);
  const events = await reader.read(count, type, timeoutMs);
  await reader.cancel();
  return events;
}
