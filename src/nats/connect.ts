/**
 * Connecting to NATS with the configuration's credentials and TLS: the client options of one
 * connection, and {@linkcode connectNats}, which turns the client's failures into messages that
 * say what was expected and where (`nats.auth`, `sinks[1].tls.ca_file`), never a secret.
 *
 * @module
 */

import * as nats from "@nats-io/transport-node";
import { printable } from "../io/printable.ts";
import { type NatsCredentials, natsSecurityMaterial } from "./credentials.ts";
import { natsConnectOptions, natsEndpoint } from "./servers.ts";
import { serverInfo } from "./server_info.ts";

/** The client library's connection, as {@linkcode connectNats} makes it. */
export type NatsConnection = nats.NatsConnection;

/** The client library's connection options (its Node transport's). */
export type NatsClientOptions = nats.NodeConnectionOptions;

/** What one connection needs. */
export interface NatsConnectOptions {
  /** `nats://host:port` or `tls://host:port` of the servers (any of them will do). */
  readonly servers: readonly string[];
  /** The connection's name on the server. */
  readonly name: string;
  /** How long a connection handshake may take, ms. */
  readonly timeout: number;
  /** Credentials and TLS material, when the configuration gives any. */
  readonly credentials?: NatsCredentials;
  /** Where the servers were configured (`nats`, `sinks[1]`, `--publish`), for messages. */
  readonly where?: string;
  /** False: one attempt at each server, and no reconnecting later (default true: forever). */
  readonly reconnect?: boolean;
}

/** True when the connection must use TLS: a `tls://` server, or TLS files in the configuration. */
export function natsWantsTls(
  servers: readonly string[],
  credentials: NatsCredentials | undefined,
): boolean {
  return credentials?.spec.tls !== undefined || servers.some((s) => natsEndpoint(s).tls);
}

/**
 * The client options of a connection: {@linkcode natsConnectOptions} plus the authentication and
 * the TLS material of `credentials` (TLS is required, never merely allowed, when a server is
 * `tls://` or a `tls` object is given; the server's certificate is always verified).
 *
 * @example
 * ```ts
 * import { natsClientOptions } from "./connect.ts";
 * natsClientOptions({ servers: ["tls://127.0.0.1:4222"], name: "qts:bus", timeout: 2000 }).tls;
 * // => {}
 * ```
 */
export function natsClientOptions(options: NatsConnectOptions): NatsClientOptions {
  const base: NatsClientOptions = {
    ...natsConnectOptions(options.servers, options.name, options.timeout),
    reconnectJitterTLS: 100,
    ...(options.reconnect === false ? { maxReconnectAttempts: 0 } : {}),
  };
  const material = options.credentials === undefined
    ? {}
    : natsSecurityMaterial(options.credentials);
  if (natsWantsTls(options.servers, options.credentials)) {
    const { ca, cert, key } = material.tls ?? {};
    base.tls = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }
  const auth = material.auth;
  if (auth?.kind === "user_password") {
    base.user = auth.user;
    base.pass = auth.password;
  } else if (auth?.kind === "token") {
    base.token = auth.token;
  } else if (auth?.kind === "nkey") {
    base.authenticator = nats.nkeyAuthenticator(auth.seed);
  } else if (auth?.kind === "creds") {
    base.authenticator = nats.credsAuthenticator(auth.creds);
  }
  return base;
}

/** A connection that could not be made, with why in words; `kind` says which way it failed. */
export class NatsConnectError extends Error {
  /** `auth` (credentials refused), `tls` (certificates), `unreachable`, or `other`. */
  readonly kind: "auth" | "tls" | "unreachable" | "other";

  /** Makes the error. */
  constructor(kind: NatsConnectError["kind"], message: string) {
    super(message);
    this.name = "NatsConnectError";
    this.kind = kind;
  }
}

let socketErrorsGuarded = false;

/**
 * True for the error of a socket the NATS client had already let go of: a TLS alert
 * (`received fatal alert: ...`) or a reset (`ECONNRESET`, `EPIPE`).
 */
function isAbandonedSocketError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.message.startsWith("received fatal alert: ") || code === "ECONNRESET" ||
    code === "EPIPE";
}

/**
 * Keeps the error of a socket nobody listens to any more from ending the process. The client
 * library's Node transport removes every listener of its socket before it is done with it: when
 * a server refuses the credentials it discards the socket (`removeAllListeners`, `destroy`) while
 * a read is still pending, and under Deno that read then fails with `ECONNRESET`; and when a
 * server refuses the client's certificate (a TLS alert right after the handshake), the alert can
 * come between `startTLS` removing its listeners and the transport adding its own. Either is an
 * `error` event with no listener, which Node semantics make an uncaught exception (seen here in
 * one of four attempts with a wrong token, and with a refused client certificate). The
 * connection attempt fails either way (the socket closes), so only those exceptions are
 * dropped: an uncaught error that is a TLS alert or a connection reset, nothing else.
 */
function guardAbandonedSockets(): void {
  if (socketErrorsGuarded) return;
  socketErrorsGuarded = true;
  globalThis.addEventListener("error", (event) => {
    if (isAbandonedSocketError(event.error)) event.preventDefault();
  });
}

/**
 * Connects to the servers with the configured credentials and TLS. Throws a
 * {@linkcode NatsConnectError} that says what failed and what was expected where: credentials
 * refused (`kind` `auth`), a server certificate that the CA does not sign or a client certificate
 * the server does not accept (`tls`), no server reachable (`unreachable`).
 *
 * @example
 * ```ts
 * import { connectNats } from "./connect.ts";
 * const nc = await connectNats({ servers: ["nats://127.0.0.1:4222"], name: "qts", timeout: 2000 });
 * await nc.close();
 * ```
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const clientOptions = natsClientOptions(options);
  guardAbandonedSockets();
  try {
    return await nats.connect(clientOptions);
  } catch (error) {
    throw await explainConnectError(error, options);
  }
}

/** A configuration key under `where` (`nats.tls.ca_file`), or the key alone. */
function fieldOf(where: string | undefined, key: string): string {
  return where === undefined ? key : `${where}.${key}`;
}

/** The servers as the configuration names them (they never hold credentials). */
function serversText(servers: readonly string[]): string {
  return servers.map((s) => printable(s, 200)).join(",");
}

/** The message of anything thrown, and of its causes. */
function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && parts.length < 4;) {
    if (e instanceof Error) {
      parts.push(e.message);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(": ");
}

/** The client could not verify the server's certificate (the CA, the name, the dates). */
const SERVER_CERTIFICATE_FAILURE =
  /unable to verify|self[- ]signed|altname|UnknownIssuer|NotValidForName|invalid peer certificate|certificate has expired|CERT_/i;

/** The server refused the handshake (a TLS alert it sent: usually about the client certificate). */
const SERVER_ALERT = /fatal alert|BadCertificate|CertificateRequired|UnknownCA|handshake/i;

/**
 * A connection failure in words. The client's own message is kept (it never holds a secret);
 * for a timeout over TLS the server's greeting is read to tell a refused client certificate from
 * a server that does not answer.
 */
async function explainConnectError(
  error: unknown,
  options: NatsConnectOptions,
): Promise<NatsConnectError> {
  const at = `NATS at ${serversText(options.servers)}`;
  const credentials = options.credentials;
  const where = credentials?.where ?? options.where;
  const field = (key: string) => fieldOf(where, key);
  const cause = printable(messagesOf(error), 300);
  const name = error instanceof Error ? error.name : "";
  const tls = credentials?.spec.tls;
  if (name === "AuthorizationError" || /authorization violation/i.test(cause)) {
    return new NatsConnectError(
      "auth",
      credentials?.spec.auth === undefined
        ? `${at} requires credentials (${cause}): expected an "auth" object in ${
          where ?? "the configuration"
        } (user ` +
          "and password, token, NKey seed or creds file; see docs/nats.md)"
        : `${at} refused the credentials (${cause}): expected it to accept ${
          field("auth")
        }, ${credentials.description}`,
    );
  }
  if (name === "UserAuthenticationExpiredError" || /authentication expired/i.test(cause)) {
    return new NatsConnectError(
      "auth",
      `${at} refused the credentials of ${field("auth")} as expired (${cause}): expected ` +
        "unexpired ones",
    );
  }
  if (/does not support 'tls'|tls.*not available/i.test(cause)) {
    return new NatsConnectError(
      "tls",
      `${at} does not offer TLS (${cause}): expected TLS, as ${
        tls === undefined ? "the tls:// URL asks" : `${field("tls")} asks`
      }; a server without TLS takes a nats:// URL and no tls object`,
    );
  }
  const wantsTls = natsWantsTls(options.servers, credentials);
  if (wantsTls && (name === "TimeoutError" || SERVER_ALERT.test(cause))) {
    const refused = await clientCertificateProblem(options, where);
    if (refused !== undefined) return new NatsConnectError("tls", refused);
  }
  if (SERVER_CERTIFICATE_FAILURE.test(cause)) {
    return new NatsConnectError(
      "tls",
      `cannot verify the TLS certificate of ${at} (${cause}): expected a certificate valid ` +
        "for the host name or address in the URL, signed by " + (tls?.caFile === undefined
          ? `a CA this system trusts (for a private CA, set ${field("tls.ca_file")})`
          : `the CA in ${field("tls.ca_file")} (${printable(tls.caFile)})`),
    );
  }
  if (SERVER_ALERT.test(cause)) {
    return new NatsConnectError("tls", `${at} refused the TLS handshake (${cause})`);
  }
  if (/refused|ECONNREFUSED|timeout|timed out|unreachable|ENOTFOUND|closed/i.test(cause)) {
    return new NatsConnectError("unreachable", `cannot reach ${at}: ${cause}`);
  }
  return new NatsConnectError("other", `cannot connect to ${at}: ${cause}`);
}

/**
 * Why a TLS server that verifies client certificates (its greeting says `tls_verify`) dropped
 * the connection: no client certificate was configured, or it did not accept the one that was.
 * Undefined when no server says so (then it did not answer in time for another reason).
 */
async function clientCertificateProblem(
  options: NatsConnectOptions,
  where: string | undefined,
): Promise<string | undefined> {
  const field = (key: string) => fieldOf(where, key);
  for (const server of options.servers) {
    const info = await serverInfo(natsEndpoint(server), Math.min(options.timeout, 2000));
    if (info?.tls_verify !== true) continue;
    const certFile = options.credentials?.spec.tls?.certFile;
    return certFile === undefined
      ? `NATS at ${
        printable(server, 200)
      } requires a client certificate (it verifies clients) and closed the connection: expected ${
        field("tls.cert_file")
      } and ${field("tls.key_file")}`
      : `NATS at ${printable(server, 200)} did not accept the client certificate ${
        field("tls.cert_file")
      } (${
        printable(certFile)
      }) and closed the connection: expected one signed by a CA the server trusts (and, with verify_and_map, of a known user)`;
  }
  return undefined;
}

/**
 * Connects once (no retries) and hangs up, to find out up front whether the servers accept the
 * credentials and TLS certificates: throws the {@linkcode NatsConnectError} of a refusal (`auth`
 * or `tls`); resolves when the connection worked, or when no server could be reached (the
 * caller's own connection then reports or waits for that). Does nothing when the connection has
 * neither credentials nor TLS.
 *
 * @example
 * ```ts
 * import { checkNatsLogin } from "./connect.ts";
 * await checkNatsLogin({ servers: ["tls://127.0.0.1:4222"], name: "qts-check", timeout: 5000 });
 * ```
 */
export async function checkNatsLogin(options: NatsConnectOptions): Promise<void> {
  if (options.credentials === undefined && !natsWantsTls(options.servers, undefined)) return;
  let nc: NatsConnection;
  try {
    nc = await connectNats({ ...options, reconnect: false });
  } catch (error) {
    if (error instanceof NatsConnectError && (error.kind === "auth" || error.kind === "tls")) {
      throw error;
    }
    return;
  }
  await nc.close().catch(() => {});
}
