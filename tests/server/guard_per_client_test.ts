import assert from "node:assert/strict";
import { join } from "node:path";
import { type GuardListener, startConnectionGuard } from "../../src/server/connection_guard.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { tempDir } from "../helpers/temp.ts";

/** `conn` as if it came from `hostname` (the guard limits connections by client address). */
function from(conn: Deno.TcpConn, hostname: string): Deno.TcpConn {
  return {
    remoteAddr: { ...conn.remoteAddr, hostname },
    localAddr: conn.localAddr,
    read: (p: Uint8Array) => conn.read(p),
    write: (p: Uint8Array) => conn.write(p),
    close: () => conn.close(),
    closeWrite: () => conn.closeWrite(),
  } as unknown as Deno.TcpConn;
}

/** Everything that comes back on `conn` until it is closed (10 s at most). */
async function answerOf(conn: Deno.Conn): Promise<string> {
  const timer = setTimeout(() => conn.close(), 10_000);
  let out = "";
  const buffer = new Uint8Array(4096);
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      out += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
  }
  return out;
}

Deno.test("guard: one client holding idle connections (more than the global limit allows) does not lock out another client: at most --max-connections-per-client (64) each, 503 beyond", async () => {
  const path = join(await tempDir("guard-per-client"), "up.sock");
  const server = Deno.serve({ path, onListen: () => {} }, () => new Response("ok\n"));
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let client = "10.0.0.1";
  const listener: GuardListener = {
    addr: real.addr,
    accept: async () => from(await real.accept(), client),
    close: () => real.close(),
  };
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: path,
    limits: { maxConnections: 100, headerTimeoutMs: 60_000 },
    logger: getObserverLogger("server"),
    listen: () => listener,
  });
  const port = (real.addr as Deno.NetAddr).port;
  const idle: Deno.TcpConn[] = [];
  try {
    // Client A: 120 connections that never send a request.
    for (let i = 0; i < 120; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    for (let i = 0; i < 200 && guard.stats().accepted < 120; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(guard.stats().accepted, 120);
    assert.equal(guard.stats().open, 64, "64 of A's connections are held, the rest refused");
    const refused = await answerOf(idle[idle.length - 1]);
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.match(refused, /expected at most 64 connections at once from one client/);

    // Client B is served.
    client = "10.0.0.2";
    const b = await Deno.connect({ hostname: "127.0.0.1", port });
    await b.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const answer = await answerOf(b);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer);
    assert.equal(guard.stats().refusedPerClient, 56);

    // A's connections closed: A may connect again.
    for (const conn of idle) {
      try {
        conn.close();
      } catch {
        // closed
      }
    }
    for (let i = 0; i < 200 && guard.stats().open > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    client = "10.0.0.1";
    const again = await Deno.connect({ hostname: "127.0.0.1", port });
    await again.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.match(await answerOf(again), /^HTTP\/1\.1 200 /);
  } finally {
    guard.stopAccepting();
    guard.closeAll();
    for (const conn of idle) {
      try {
        conn.close();
      } catch {
        // closed
      }
    }
    await server.shutdown();
  }
});
