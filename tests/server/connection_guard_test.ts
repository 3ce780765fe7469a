import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  ACCEPT_EPISODE_QUIET_MS,
  ACCEPT_RETRY_MAX_MS,
  ACCEPT_RETRY_MIN_MS,
  type GuardListener,
  relayResponse,
  startConnectionGuard,
} from "../../src/server/connection_guard.ts";
import {
  forwardedHead,
  headEnd,
  invalidHeaderName,
  isTokenByte,
  malformedHead,
} from "../../src/server/request_head.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { captureLogs } from "../helpers/logs.ts";
import { tempDir } from "../helpers/temp.ts";
import { socketPair } from "../helpers/net.ts";

/** Each char of `text` (U+0000–U+00FF) as one byte: a true 1:1 mapping, unlike `latin1`. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error(`not a byte: U+${code.toString(16)}`);
    return code;
  });
}

/** Each byte as one char. */
function text(data: Uint8Array): string {
  let out = "";
  for (const b of data) out += String.fromCharCode(b);
  return out;
}

const TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// ---------------------------------------------------------------------------------------------
// The head, as pure functions

Deno.test("isTokenByte: exactly RFC 9110's tchar", () => {
  for (let b = 0; b < 256; b++) {
    assert.equal(isTokenByte(b), TCHAR.includes(String.fromCharCode(b)), `byte ${b}`);
  }
});

Deno.test("headEnd: CRLF CRLF, or a bare LF where a CRLF belongs; -1 while incomplete", () => {
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody")), 27);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nHost: x\n\nbody")), 25);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nHost: x\n\r\n")), 26);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r")), -1);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nHost: x\r\n")), -1);
});

Deno.test("headEnd: searching each new chunk from where the last ended finds the same end as one search of everything (property)", () => {
  const byte = fc.oneof(
    fc.constantFrom(0x0d, 0x0a, 0x0d, 0x0a, 0x20),
    fc.integer({ min: 0, max: 255 }),
  );
  fc.assert(
    fc.property(
      fc.array(byte, { maxLength: 120 }),
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 30 }),
      (all, sizes) => {
        const data = Uint8Array.from(all);
        const whole = headEnd(data);
        let filled = 0;
        let found = -1;
        for (let i = 0; found < 0 && filled < data.length; i++) {
          const n = Math.min(sizes[i % sizes.length], data.length - filled);
          filled += n;
          found = headEnd(data.subarray(0, filled), filled - n);
        }
        assert.equal(found, whole);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("malformedHead: refuses NUL, bare LF, bare CR and folded lines; accepts CRLF lines", () => {
  assert.equal(malformedHead(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), undefined);
  assert.equal(malformedHead(bytes("GET / HTTP/1.1\r\nHost: \x80\x9b\xff\r\n\r\n")), undefined);
  assert.equal(malformedHead(bytes("GET / HTTP/1.1\r\nHost: x\0\r\n\r\n")), "a NUL byte");
  assert.equal(
    malformedHead(bytes("GET / HTTP/1.1\r\nHost: x\nX-QTS-Peer: 1\r\n\r\n")),
    "a line ending in LF without CR",
  );
  assert.equal(
    malformedHead(bytes("GET / HTTP/1.1\r\nHost: x\rX: 1\r\n\r\n")),
    "a CR not followed by LF",
  );
  assert.equal(
    malformedHead(bytes("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")),
    "a folded header line",
  );
});

Deno.test("invalidHeaderName: a name is one or more tchar directly followed by a colon", () => {
  const head = (line: string) => bytes(`GET / HTTP/1.1\r\nHost: x\r\n${line}\r\n\r\n`);
  assert.equal(invalidHeaderName(head("x-ok: 1")), undefined);
  assert.equal(invalidHeaderName(head("x-ok:")), undefined);
  assert.equal(
    invalidHeaderName(head("x-qts-peer\x9b 6.6.6.6:1")),
    "byte 0x9b at 10 in the name of header line 2",
  );
  assert.equal(
    invalidHeaderName(head("x-qts-peer : 6.6.6.6:1")),
    "byte 0x20 at 10 in the name of header line 2",
  );
  assert.equal(
    invalidHeaderName(head("caf\xe9: 1")),
    "byte 0xe9 at 3 in the name of header line 2",
  );
  assert.equal(invalidHeaderName(head(": 1")), "header line 2 with an empty name");
  assert.equal(invalidHeaderName(head("nocolon")), "header line 2 without a colon");
});

Deno.test("forwardedHead: our peer header and connection: close come first; the client's of those names (any case) are dropped; every other byte is kept, 0x80–0xFF included", () => {
  const head = bytes(
    "POST /v1/snapshots HTTP/1.1\r\nHost: x\r\nX-QTS-Peer: 6.6.6.6:1\r\nx-note: caf\x80\x9b\xff\r\n" +
      "CONNECTION: keep-alive\r\nKeep-Alive: timeout=5\r\nx-qts-peer-hint: 1\r\n\r\n",
  );
  const forwarded = forwardedHead(head, "127.0.0.1:5000");
  assert.ok(forwarded.ok);
  assert.equal(forwarded.method, "POST");
  assert.deepEqual(
    forwarded.head,
    bytes(
      "POST /v1/snapshots HTTP/1.1\r\nx-qts-peer: 127.0.0.1:5000\r\nconnection: close\r\n" +
        "Host: x\r\nx-note: caf\x80\x9b\xff\r\nx-qts-peer-hint: 1\r\n\r\n",
    ),
  );
});

Deno.test("forwardedHead: refuses, saying what was expected, a header name with a byte outside tchar (x-qts-peer\\x9b would have become x-qts-peer: through windows-1252), a bad request line, a bare LF", () => {
  const refusal = (head: string) => {
    const forwarded = forwardedHead(bytes(head), "127.0.0.1:5000");
    assert.ok(!forwarded.ok, `passed: ${JSON.stringify(head)}`);
    return forwarded.refusal;
  };
  assert.equal(
    refusal("GET / HTTP/1.1\r\nHost: x\r\nx-qts-peer\x9b 6.6.6.6:1\r\n\r\n"),
    "expected header names of token characters (letters, digits and !#$%&'*+-.^_`|~, " +
      "RFC 9110) directly followed by a colon, got byte 0x9b at 10 in the name of header line 2",
  );
  assert.match(refusal("GET / HTTP/1.1\r\nx-qts-peer : 1\r\n\r\n"), /got byte 0x20 at 10/);
  assert.match(
    refusal("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    /^expected a request line .*got an empty line$/,
  );
  assert.match(refusal("GET\r\nHost: x\r\n\r\n"), /^expected a request line/);
  assert.match(refusal("G\x80T / HTTP/1.1\r\nHost: x\r\n\r\n"), /^expected a request line/);
  assert.equal(
    refusal("GET / HTTP/1.1\r\nHost: x\nX-QTS-Peer: 6.6.6.6:1\r\n\r\n"),
    "expected request headers in CRLF lines, got a line ending in LF without CR",
  );
  assert.match(refusal("GET / HTTP/1.1\r\nHost: x\r\n"), /ending at their first empty line/);
  assert.match(
    refusal("GET / HTTP/1.1\r\n\r\nHost: x\r\n\r\n"),
    /ending at their first empty line/,
  );
});

/** What forwardedHead should do with `head`, worked out on text (each byte one char). */
function oracle(head: string, peer: string): { ok: true; head: string } | { ok: false } {
  if (/\0|(^|[^\r])\n|\r(?!\n)|\n[ \t]/.test(head)) return { ok: false };
  if (head.indexOf("\r\n\r\n") !== head.length - 4) return { ok: false };
  const lines = head.slice(0, -4).split("\r\n");
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ /.test(lines[0])) return { ok: false };
  const fields = lines.slice(1);
  if (!fields.every((l) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/.test(l))) return { ok: false };
  const kept = fields.filter((l) => !/^(x-qts-peer|connection|keep-alive):/i.test(l));
  return {
    ok: true,
    head: [lines[0], `x-qts-peer: ${peer}`, "connection: close", ...kept].join("\r\n") +
      "\r\n\r\n",
  };
}

const byteString = (maxLength: number) =>
  fc.uint8Array({ maxLength }).map((b) => String.fromCharCode(...b));

const randomCase = (name: string) =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((c, i) => upper[i] ? c.toUpperCase() : c).join("")
  );

const headerName = fc.oneof(
  fc.constantFrom("x-qts-peer", "connection", "keep-alive", "host", "x-qts-peer-x", "connections")
    .chain(randomCase),
  fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 8 }),
  fc.constantFrom("x-qts-peer\x9b", "x-qts-peer\x9b ", "connection ", "x\x80", "", "a b"),
  byteString(6),
);

const headerLine = fc.tuple(
  headerName,
  fc.constantFrom(":", ": ", ":\t", " : ", ""),
  fc.oneof(fc.string({ maxLength: 12 }), byteString(12)), // printable ASCII, or any bytes
).map(([name, separator, value]) => name + separator + value);

const requestLine = fc.oneof(
  fc.constantFrom("GET / HTTP/1.1", "POST /v1/snapshots?x=1 HTTP/1.1", "HEAD /healthz HTTP/1.0"),
  byteString(20),
);

/** A head: mostly near-valid, often with one flaw. */
const structuredHead = fc.tuple(requestLine, fc.array(headerLine, { maxLength: 8 })).map((
  [line, fields],
) => [line, ...fields].map((l) => l + "\r\n").join("") + "\r\n");

const peer = fc.constantFrom("127.0.0.1:5000", "::1:40000");

Deno.test("forwardedHead: refuses exactly the heads a byte-level reading of RFC 9110 refuses, and passes the others on with one x-qts-peer (ours), one connection: close, and every other header line byte for byte in order (property)", () => {
  const check = (head: string, peer: string) => {
    const expected = oracle(head, peer);
    const forwarded = forwardedHead(bytes(head), peer);
    assert.equal(forwarded.ok, expected.ok, JSON.stringify(head));
    if (!forwarded.ok || !expected.ok) return;
    const out = text(forwarded.head);
    assert.equal(out, expected.head);
    const lines = out.slice(0, -4).split("\r\n");
    assert.deepEqual(lines.filter((l) => /^x-qts-peer:/i.test(l)), [`x-qts-peer: ${peer}`]);
    assert.deepEqual(lines.filter((l) => /^connection:/i.test(l)), ["connection: close"]);
    assert.equal(lines.filter((l) => /^keep-alive:/i.test(l)).length, 0);
  };
  let passed = 0;
  fc.assert(
    fc.property(structuredHead, peer, (head, peer) => {
      check(head, peer);
      if (forwardedHead(bytes(head), peer).ok) passed++;
    }),
    { numRuns: 2000 },
  );
  assert.ok(passed > 100, `only ${passed} generated heads were passed on: a weak generator`);
  // Any bytes at all, ending in an empty line.
  fc.assert(
    fc.property(byteString(200), peer, (head, peer) => check(head + "\r\n\r\n", peer)),
    { numRuns: 1000 },
  );
});

Deno.test("forwardedHead: a head passed on is refused once one of its CRLFs becomes a bare LF, or a NUL is put anywhere in it (property)", () => {
  const valid = structuredHead.filter((head) => oracle(head, "p").ok);
  fc.assert(
    fc.property(valid, fc.nat(), fc.boolean(), (head, at, nul) => {
      let mutated: string;
      if (nul) {
        const i = at % (head.length + 1);
        mutated = head.slice(0, i) + "\0" + head.slice(i);
      } else {
        const crlfs = [...head.matchAll(/\r\n/g)].map((m) => m.index);
        const i = crlfs[at % crlfs.length];
        mutated = head.slice(0, i) + head.slice(i + 1);
      }
      const forwarded = forwardedHead(bytes(mutated), "127.0.0.1:5000");
      assert.equal(forwarded.ok, false, JSON.stringify(mutated));
    }),
    { numRuns: 1000 },
  );
});

// ---------------------------------------------------------------------------------------------
// The guard, on real sockets

const ANSWER = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

/** A raw HTTP server on a Unix socket that records each request head, byte for byte. */
async function rawUpstream() {
  const path = join(await tempDir("guard"), "up.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const heads: Uint8Array[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      let got = new Uint8Array(0);
      const buffer = new Uint8Array(4096);
      while (headEnd(got) < 0) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) break;
        const more = new Uint8Array(got.length + n);
        more.set(got);
        more.set(buffer.subarray(0, n), got.length);
        got = more;
      }
      heads.push(got);
      await conn.write(bytes(ANSWER)).catch(() => 0);
      conn.close();
    }
  })();
  return {
    path,
    heads,
    async close() {
      listener.close();
      await done.catch(() => {});
    },
  };
}

/** Sends `request` on a new connection to `port` and returns all that comes back. */
async function exchange(port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    await conn.write(request);
    return text(await readAll(conn));
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
  }
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: number[] = [];
  const buffer = new Uint8Array(4096);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    parts.push(...buffer.subarray(0, n));
  }
  return Uint8Array.from(parts);
}

Deno.test("guard: bytes 0x80–0xFF of a header value reach the server behind unchanged (windows-1252 rewrote 0x80 as 0xac and 0x9b as ':')", async () => {
  const upstream = await rawUpstream();
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: upstream.path,
    logger: getObserverLogger("server"),
  });
  try {
    const answer = await exchange(
      guard.addr.port,
      bytes("GET /x HTTP/1.1\r\nHost: x\r\nx-note: caf\x80\x9b\x9f\xa0\xff\r\n\r\n"),
    );
    assert.equal(answer, ANSWER);
    assert.equal(upstream.heads.length, 1);
    const head = text(upstream.heads[0]);
    assert.match(
      head,
      /^GET \/x HTTP\/1\.1\r\nx-qts-peer: 127\.0\.0\.1:\d+\r\nconnection: close\r\n/,
    );
    assert.ok(
      head.endsWith("\r\nHost: x\r\nx-note: caf\x80\x9b\x9f\xa0\xff\r\n\r\n"),
      JSON.stringify(head),
    );
  } finally {
    guard.stopAccepting();
    guard.closeAll();
    await upstream.close();
  }
});

Deno.test("guard: a header named x-qts-peer\\x9b (or with a space before its colon) is refused with 400, saying what was expected; nothing reaches the server behind", async () => {
  const upstream = await rawUpstream();
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: upstream.path,
    logger: getObserverLogger("server"),
  });
  try {
    const spoof = await exchange(
      guard.addr.port,
      bytes("GET /v1/status HTTP/1.1\r\nHost: x\r\nx-qts-peer\x9b 6.6.6.6:1\r\n\r\n"),
    );
    assert.match(spoof, /^HTTP\/1\.1 400 /, JSON.stringify(spoof));
    assert.match(spoof, /expected header names of token characters .* got byte 0x9b at 10/);
    const spaced = await exchange(
      guard.addr.port,
      bytes("GET /v1/status HTTP/1.1\r\nHost: x\r\nx-qts-peer : 6.6.6.6:1\r\n\r\n"),
    );
    assert.match(spaced, /^HTTP\/1\.1 400 /);
    assert.match(spaced, /got byte 0x20 at 10 in the name of header line 2/);
    assert.deepEqual(upstream.heads.map(text), [], "nothing was passed on");
    assert.equal(guard.stats().refused, 2);
  } finally {
    guard.stopAccepting();
    guard.closeAll();
    await upstream.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The accept loop

/** A real listener on 127.0.0.1 whose accept fails `failNext` more times first. */
function failingListener() {
  const state = { failNext: 0, accepts: 0, real: undefined as Deno.TcpListener | undefined };
  const listen = (address: { hostname: string; port: number }): GuardListener => {
    const real = Deno.listen(address);
    state.real = real;
    return {
      addr: real.addr,
      accept() {
        state.accepts++;
        if (state.failNext > 0) {
          state.failNext--;
          return Promise.reject(new Error("Too many open files (os error 24)"));
        }
        return real.accept();
      },
      close: () => real.close(),
    };
  };
  return { state, listen };
}

/** Polls (every 5 ms, 5 s at most) until `check()` holds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), "never happened");
}

Deno.test("guard: a failing accept (EMFILE) is retried with a doubling wait capped at 1 s and connections are served again once it works; an episode of failures (failures and successes in turn included) is logged once, with the error, and its end once", async () => {
  await using logs = await captureLogs();
  const upstream = await rawUpstream();
  const { state, listen } = failingListener();
  const delays: number[] = [];
  let clock = 0; // a fake clock that only the guard's waits move (and this test)
  state.failNext = 12;
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: upstream.path,
    logger: getObserverLogger("server"),
    listen,
    sleep: (ms) => {
      delays.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  });
  const errors = () => logs.records.filter((r) => r.level === "error").length;
  const request = bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  try {
    assert.equal(ACCEPT_RETRY_MIN_MS, 10);
    assert.equal(ACCEPT_RETRY_MAX_MS, 1000);
    assert.equal(ACCEPT_EPISODE_QUIET_MS, 10_000);
    assert.equal(await exchange(guard.addr.port, request), ANSWER);
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000]);
    assert.equal(errors(), 1, logs.messages().join("\n"));
    assert.match(logs.messages()[0], /^Cannot accept connections: .*Too many open files/);

    // At the limit, accepts fail and succeed in turn: the same episode, not logged again; the
    // wait starts over at 10 ms after each success.
    state.failNext = 2;
    assert.equal(await exchange(guard.addr.port, request), ANSWER);
    await until(() => state.accepts === 17); // 12 failed, 2 accepted, 2 failed, 1 waiting
    assert.deepEqual(delays.slice(12), [10, 20]);
    assert.equal(errors(), 1, logs.messages().join("\n"));
    assert.equal(logs.records.length, 1, "its end is not logged yet");

    // 10 s without a failure: the next connection accepted ends the episode.
    clock += 10_000;
    assert.equal(await exchange(guard.addr.port, request), ANSWER);
    assert.equal(logs.records.length, 2, logs.messages().join("\n"));
    assert.equal(logs.records[1].level, "info");
    assert.equal(
      logs.messages()[1],
      "Accepting connections again: 14 accepts failed in 6280 ms, none since",
    );

    // A failure after that is a new episode: logged again.
    state.failNext = 1;
    assert.equal(await exchange(guard.addr.port, request), ANSWER);
    await until(() => state.accepts === 20); // 1 more failed, 1 waiting
    assert.equal(errors(), 2, logs.messages().join("\n"));
    assert.equal(guard.stats().accepted, 4);
  } finally {
    guard.stopAccepting();
    guard.closeAll();
    await upstream.close();
  }
});

Deno.test("guard: stopAccepting ends the accept loop while it waits to retry (the wait is told to stop), and nothing more is tried", async () => {
  await using logs = await captureLogs();
  const upstream = await rawUpstream();
  const { state, listen } = failingListener();
  state.failNext = Infinity;
  const signals: AbortSignal[] = [];
  const guard = startConnectionGuard({
    hostname: "127.0.0.1",
    port: 0,
    upstreamPath: upstream.path,
    logger: getObserverLogger("server"),
    listen,
    // Waits 1 ms, or until stopped: a wait of the guard's never ends by itself here.
    sleep: (ms, signal) => {
      signals.push(signal);
      return ms === 1000 ? new Promise((r) => signal.addEventListener("abort", () => r())) : (
        new Promise((r) => setTimeout(r, 1))
      );
    },
  });
  // 10, 20, ..., 640: then a wait of 1000 that only stopAccepting ends.
  await until(() => state.accepts === 8);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(state.accepts, 8, "waiting");
  assert.equal(signals.at(-1)!.aborted, false);
  guard.stopAccepting();
  assert.equal(signals.at(-1)!.aborted, true, "the wait is told to stop");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(state.accepts, 8, "no accept after stopAccepting");
  assert.equal(logs.records.filter((r) => r.level === "error").length, 1, "one episode, one error");
  await upstream.close();
});

// ---------------------------------------------------------------------------------------------
// The relay of the answer, on real socket pairs

/**
 * Runs relayResponse between a server end and a client end, as the guard does; `serve` writes
 * the answer on the server end (and is told whether the relay returned yet). Returns what the
 * client got.
 */
async function relay(
  isHead: boolean,
  serve: (server: Deno.TcpConn, relayed: () => boolean) => Promise<void>,
): Promise<string> {
  const [server, guardUp] = await socketPair();
  const [guardDown, client] = await socketPair();
  let returned = false;
  const relaying = relayResponse(guardUp, guardDown, isHead).then(() => {
    returned = true;
    guardDown.close(); // as the guard does
  });
  const got = readAll(client);
  try {
    await serve(server, () => returned);
  } finally {
    try {
      server.close();
    } catch {
      // closed by serve
    }
  }
  await relaying;
  guardUp.close();
  const result = text(await got);
  client.close();
  return result;
}

/** Waits until `check()` or 5 s; then whether it held. */
async function within5s(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
}

Deno.test("relayResponse: an answer with a Content-Length is complete after that many body bytes, though the server keeps the connection open; every byte copied as it came", async () => {
  const head = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\nx-note: \x80\x9b\xa0\xff\r\n\r\n";
  const got = await relay(false, async (server, relayed) => {
    await server.write(bytes(head + "01234"));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(relayed(), false, "not complete after 5 of 10 body bytes");
    await server.write(bytes("56789"));
    assert.ok(await within5s(relayed), "complete after 10 body bytes, the server still open");
  });
  assert.equal(got, head + "0123456789");
});

Deno.test("relayResponse: a chunked answer (or one without a length) is copied until the server closes", async () => {
  const answer = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n" +
    "3\r\nabc\r\n0\r\n\r\n";
  const got = await relay(false, async (server, relayed) => {
    await server.write(bytes(answer));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(relayed(), false, "a chunked answer ends with the server's close");
    server.close();
  });
  assert.equal(got, answer);
  const bare = "HTTP/1.1 200 OK\r\nx: y\r\n\r\nstreaming...";
  const gotBare = await relay(false, async (server, relayed) => {
    await server.write(bytes(bare));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(relayed(), false);
    server.close();
  });
  assert.equal(gotBare, bare);
});

Deno.test("relayResponse: a 100 Continue is passed through and the final answer's length counted (in separate writes and in one)", async () => {
  const interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const final = "HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nabc";
  const split = await relay(false, async (server, relayed) => {
    await server.write(bytes(interim));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(relayed(), false, "an interim answer does not end the relay");
    await server.write(bytes(final));
    assert.ok(await within5s(relayed));
  });
  assert.equal(split, interim + final);
  const joined = await relay(false, async (server, relayed) => {
    await server.write(bytes(interim + interim + final));
    assert.ok(await within5s(relayed));
  });
  assert.equal(joined, interim + interim + final);
});

Deno.test("relayResponse: the answer to a HEAD (and a 204, a 304) has no body whatever its Content-Length says", async () => {
  const head = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n";
  const toHead = await relay(true, async (server, relayed) => {
    await server.write(bytes(head));
    assert.ok(await within5s(relayed));
  });
  assert.equal(toHead, head);
  for (const status of ["204 No Content", "304 Not Modified"]) {
    const answer = `HTTP/1.1 ${status}\r\nx: y\r\n\r\n`;
    const got = await relay(false, async (server, relayed) => {
      await server.write(bytes(answer));
      assert.ok(await within5s(relayed));
    });
    assert.equal(got, answer);
  }
});

Deno.test("relayResponse: the answer head is read as bytes: a Content-Length whose value starts with byte 0xa0 is no length (windows-1252 read it as a space), so the answer is copied until the server closes", async () => {
  const answer = "HTTP/1.1 200 OK\r\ncontent-length:\xa03\r\n\r\nabc";
  const got = await relay(false, async (server, relayed) => {
    await server.write(bytes(answer));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(relayed(), false, "not cut after 3 bytes on a length that is not one");
    await server.write(bytes("def"));
    server.close();
  });
  assert.equal(got, answer + "def");
});

Deno.test("relayResponse: any answer with a Content-Length, after any 100 Continue, with any bytes in its header values, sent in any pieces, reaches the client byte for byte and completes while the server stays open (property, real sockets)", async () => {
  const value = fc.uint8Array({ maxLength: 16 }).map((b) =>
    String.fromCharCode(...b.filter((x) => x !== 0x0d && x !== 0x0a))
  );
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(value, { maxLength: 4 }),
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
      async (interim, values, body, sizes) => {
        const answer = (interim ? "HTTP/1.1 100 Continue\r\n\r\n" : "") +
          `HTTP/1.1 200 OK\r\n${values.map((v, i) => `x-${i}: ${v}\r\n`).join("")}` +
          `content-length: ${body.length}\r\n\r\n${text(body)}`;
        const all = bytes(answer);
        const got = await relay(false, async (server, relayed) => {
          for (let at = 0, i = 0; at < all.length; i++) {
            const piece = all.subarray(at, at + sizes[i % sizes.length]);
            at += piece.length;
            await server.write(piece);
          }
          assert.ok(await within5s(relayed), "complete while the server is open");
        });
        assert.equal(got, answer);
      },
    ),
    { numRuns: 40 },
  );
});
