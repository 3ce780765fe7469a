import assert from "node:assert/strict";
import { connectNats, NatsConnectError } from "../../src/nats/connect.ts";
import { freePort } from "../helpers/net.ts";

/** Dispatches an uncaught-error event as the runtime does; true when a listener prevented it. */
function prevented(error: unknown): boolean {
  return !globalThis.dispatchEvent(new ErrorEvent("error", { error, cancelable: true }));
}

Deno.test("nats connect: once a connection was tried, an uncaught reset or TLS alert of a socket the client let go of does not end the process; other uncaught errors still do", async () => {
  // Nothing listens on the port: the attempt fails at once, and the guard is in place.
  const port = freePort();
  await assert.rejects(
    connectNats({
      servers: [`nats://127.0.0.1:${port}`],
      name: "t",
      timeout: 1000,
      reconnect: false,
    }),
    (error) => {
      assert.ok(error instanceof NatsConnectError);
      assert.equal(error.kind, "unreachable");
      assert.match(
        error.message,
        new RegExp(`^cannot reach NATS at nats://127\\.0\\.0\\.1:${port}: `),
      );
      return true;
    },
  );
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  assert.equal(prevented(reset), true);
  assert.equal(prevented(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })), true);
  assert.equal(prevented(new Error("received fatal alert: BadCertificate")), true);
  assert.equal(prevented(new Error("something else")), false);
  assert.equal(prevented(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })), false);
});
