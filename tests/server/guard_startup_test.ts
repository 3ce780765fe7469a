import assert from "node:assert/strict";
import { join } from "node:path";
import { startConnectionGuard } from "../../src/server/connection_guard.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { captureLogs } from "../helpers/logs.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("a request that comes while the server behind is still starting waits for it: answered, no error logged", async () => {
  await using logs = await captureLogs();
  const socket = join(await tempDir(), "behind.sock");
  const ready = Promise.withResolvers<void>();
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: socket,
    upstreamReady: ready.promise,
    logger: getObserverLogger("server"),
  });
  // Polled as a client polls /healthz during start-up: before anything listens behind.
  const answer = fetch(`http://127.0.0.1:${guard.addr.port}/healthz`);
  await new Promise((r) => setTimeout(r, 50)); // the guard has the request and its headers
  const server = Deno.serve({ path: socket, onListen: () => {} }, () => new Response("ok"));
  ready.resolve();
  const response = await answer;
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "ok");
  guard.stopAccepting();
  await server.shutdown();
  guard.closeAll();
  assert.deepEqual(
    logs.records.filter((r) => r.level === "error").map((r) => r.message.join("")),
    [],
  );
});
