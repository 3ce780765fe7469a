import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, serveNet, taskPermissionFlags } from "../helpers/project.ts";
import { freePort } from "../helpers/net.ts";
import { tempDir } from "../helpers/temp.ts";

/** Whether `base` answers /healthz with 200 within `ms`. */
async function healthy(base: string, ms: number): Promise<boolean> {
  const signal = AbortSignal.timeout(ms);
  return await fetch(`${base}/healthz`, { signal }).then(
    async (r) => {
      await r.body?.cancel();
      return r.ok;
    },
    () => false,
  );
}

/** Polls `check` every 100 ms until it holds or `ms` pass; returns whether it held. */
async function eventually(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("serve: running out of file descriptors (ulimit -n 256, 300 idle connections) does not kill the front door: once they are closed, /healthz answers again and the accept failures were logged", async () => {
  const root = await copyProject();
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const flags = (await taskPermissionFlags("serve", root)).map((flag) =>
    flag.startsWith("--allow-net=") ? `${flag},${serveNet(root, port).join(",")}` : flag
  );
  // bash lowers the soft limit of open files, then becomes the service (exec keeps the pid).
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      'ulimit -n 256 && exec "$@"',
      "bash",
      Deno.execPath(),
      "run",
      ...flags,
      join(root, "observer.ts"),
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
      // All the idle connections come from one address: let them all in, to run out of files.
      "--max-connections-per-client",
      "1024",
    ],
    cwd: await tempDir("cwd"),
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const collected = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
  })();
  const stdout = new Response(child.stdout).text();
  const idle: Deno.Conn[] = [];
  let exited = false;
  try {
    assert.ok(await eventually(30_000, () => healthy(base, 2000)), `never healthy: ${stderr}`);

    // 300 connections that send nothing: more than the process may have files open.
    for (let i = 0; i < 300; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    // Until the service says it cannot accept (or a few seconds, for a build that says nothing).
    await eventually(5_000, () => /Cannot accept/.test(stderr));
    for (const conn of idle.splice(0)) conn.close();

    assert.ok(
      await eventually(30_000, () => healthy(base, 2000)),
      `/healthz never answered again after the idle connections were closed: ${stderr}`,
    );
    assert.match(stderr, /\[ERR\].*accept.*Too many open files/i, "the episode was logged");
    assert.equal(
      stderr.split("\n").filter((l) => /\[ERR\].*accept/i.test(l)).length,
      1,
      `logged once per episode, not once per attempt: ${stderr}`,
    );

    child.kill("SIGTERM");
    const status = await child.status;
    exited = true;
    await collected;
    assert.equal(status.code, 0, stderr);
  } finally {
    for (const conn of idle) conn.close();
    if (!exited) {
      child.kill("SIGKILL");
      await child.status;
      await collected;
    }
    await stdout;
  }
});
