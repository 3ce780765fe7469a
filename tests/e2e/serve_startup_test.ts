/**
 * `observer.ts serve` polled from the moment it starts, as a supervisor or a script waiting for
 * it does: the requests that come before it is up are answered once it is, and start-up logs no
 * error (the guard used to forward them to a Unix socket nobody listened on yet: an ERR line).
 */
import assert from "node:assert/strict";
import { copyProject, serveNet, spawnScript } from "../helpers/project.ts";
import { freePort } from "../helpers/net.ts";
import { collected } from "../helpers/collected.ts";

Deno.test("serve: /healthz polled during start-up logs no ERR line", async () => {
  const root = await copyProject();
  for (let started = 0; started < 3;) {
    const port = freePort();
    const child = await spawnScript(root, {
      task: "serve",
      script: "observer.ts",
      args: ["serve", "--listen", `127.0.0.1:${port}`],
      extraNet: serveNet(root, port),
    });
    const stderr = collected(child.stderr);
    const stdout = collected(child.stdout);
    let exited: Deno.CommandStatus | undefined;
    const status = child.status.then((s) => exited = s);
    const statuses: number[] = [];
    // Poll hard until the service answers 200 (30 s at most: a generous bound, not a clock).
    const deadline = Date.now() + 30_000;
    let up = false;
    while (!up && Date.now() < deadline) {
      const polls = Array.from({ length: 4 }, () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          async (r) => (await r.body?.cancel(), r.status),
          () => 0,
        ));
      for (const status of await Promise.all(polls)) {
        if (status !== 0) statuses.push(status);
        if (status === 200) up = true;
      }
    }
    // The answer must be this service's: another process (a second suite beside this one) may
    // have taken the port between freePort() and the service's start.
    const listening = `listening on http://127.0.0.1:${port}`;
    while (!stderr.now().includes(listening) && exited === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (exited !== undefined && /Address already in use/.test(stderr.now())) {
      console.log(`port ${port} was taken by another process; trying another`);
      await Promise.all([stdout.done, stderr.done]);
      continue;
    }
    child.kill("SIGTERM");
    const [{ code }, text] = await Promise.all([status, stderr.done, stdout.done]);
    assert.ok(up, `the service came up: ${text}`);
    assert.equal(code, 0, text);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], "every answer was 200");
    assert.doesNotMatch(text, /\[ERR\]/, `start-up logged no error:\n${text}`);
    started++;
  }
});
