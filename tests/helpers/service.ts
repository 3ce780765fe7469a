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
