/**
 * `observer.ts serve` polled from the moment it starts, as a supervisor or a script waiting for
 * it does: the requests that come before it is up are answered once it is, and start-up logs no
 * error (the guard used to forward them to a Unix socket nobody listened on yet: an ERR line).
 */
import assert from "node:assert/strict";
import { copyProject, serveNet, spawnScript } from "../helpers/project.ts";
import { freePort } from "../helpers/net.ts";

Deno.test("serve: /healthz polled during start-up logs no ERR line", async () => {
  const root = await copyProject();
  for (let i = 0; i < 3; i++) {
    const port = freePort();
    const child = await spawnScript(root, {
      task: "serve",
      script: "observer.ts",
      args: ["serve", "--listen", `127.0.0.1:${port}`],
      extraNet: serveNet(root, port),
    });
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
    child.kill("SIGTERM");
    const output = await child.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.ok(up, `the service came up: ${stderr}`);
    assert.equal(output.code, 0, stderr);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], "every answer was 200");
    assert.doesNotMatch(stderr, /\[ERR\]/, `start-up logged no error:\n${stderr}`);
  }
});
