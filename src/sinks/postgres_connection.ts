/**
 * What the `postgres` sink hands its client to connect securely: the TLS option of `npm:postgres`
 * for a mode and the PEM files, the password from a file, and errors of a failed connection told
 * plainly (a certificate not trusted, a server without TLS, a password refused) and sorted into
 * those that waiting cures (an outage) and those it does not (set-up errors). No message here
 * holds a password or a file's content.
 *
 * @module
 */

import { isEncryptedPem, isPem, pemHeader, type PemKind } from "../io/pem.ts";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { isIP } from "node:net";
import { printable } from "../io/printable.ts";
import type { PostgresTls } from "./postgres_table.ts";
import { errorMessage } from "../io/error_message.ts";

/** Files a sink reads its secrets from (paths already resolved by the configuration). */
export interface PostgresSecretFiles {
  /** The CA(s) the server's certificate must chain to. */
  readonly tlsCaFile?: string;
  /** The client certificate. */
  readonly tlsCertFile?: string;
  /** The client certificate's private key (not group- or world-readable). */
  readonly tlsKeyFile?: string;
  /** The password, one line (not group- or world-readable). */
  readonly passwordFile?: string;
}

/** The contents of {@linkcode PostgresSecretFiles}. */
export interface PostgresSecrets {
  /** PEM of the CA(s). */
  readonly ca?: string;
  /** PEM of the client certificate. */
  readonly cert?: string;
  /** PEM of its key. */
  readonly key?: string;
  /** The password. */
  readonly password?: string;
}

/** Reads one file as text; the error names the key and the path, never the content. */
function readText(key: string, path: string, secret: boolean): string {
  let text: string;
  try {
    if (secret) {
      const mode = Deno.statSync(path).mode;
      if (mode !== null && (mode & 0o077) !== 0) {
        throw new Error(
          `it is readable by other users (mode ${(mode & 0o777).toString(8)}); expected 600 ` +
            `or less (chmod 600 ${printable(path)})`,
        );
      }
    }
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`${key}: cannot read ${printable(path)}: ${(error as Error).message}`);
  }
  return text;
}

function pem(key: string, path: string, text: string, kind: PemKind): string {
  if (!isPem(text, kind)) {
    throw new Error(`${key}: expected a PEM file (${pemHeader(kind)}) in ${printable(path)}`);
  }
  return text;
}

/**
 * Reads the files of a sink's secrets. The key and the password file must not be readable by
 * the group or other users (as libpq demands of its key and `.pgpass`); the password file holds
 * one line (a final newline is not part of it). Throws an error naming the key and the file.
 *
 * @example
 * ```ts
 * import { readPostgresSecrets } from "./postgres_connection.ts";
 * const secrets = readPostgresSecrets({ passwordFile: "/run/secrets/qts_pg_password" });
 * ```
 */
export function readPostgresSecrets(files: PostgresSecretFiles): PostgresSecrets {
  const out: { ca?: string; cert?: string; key?: string; password?: string } = {};
  if (files.tlsCaFile !== undefined) {
    const text = readText("tls_ca_file", files.tlsCaFile, false);
    out.ca = pem("tls_ca_file", files.tlsCaFile, text, "certificate");
  }
  if (files.tlsCertFile !== undefined) {
    const text = readText("tls_cert_file", files.tlsCertFile, false);
    out.cert = pem("tls_cert_file", files.tlsCertFile, text, "certificate");
  }
  if (files.tlsKeyFile !== undefined) {
    const text = readText("tls_key_file", files.tlsKeyFile, true);
    if (isEncryptedPem(text)) {
      throw new Error(
        `tls_key_file: ${printable(files.tlsKeyFile)} is encrypted; expected a key without a ` +
          "passphrase (kept readable by this user only)",
      );
    }
    out.key = pem("tls_key_file", files.tlsKeyFile, text, "key");
  }
  if (files.passwordFile !== undefined) {
    const text = readText("password_file", files.passwordFile, true);
    const password = text.replace(/\r?\n$/, "");
    if (password === "") {
      throw new Error(`password_file: ${printable(files.passwordFile)} is empty`);
    }
    if (/[\r\n]/.test(password)) {
      throw new Error(
        `password_file: expected one line in ${printable(files.passwordFile)}, got more`,
      );
    }
    out.password = password;
  }
  return out;
}

/**
 * The `ssl` option of `npm:postgres` for a mode: `false` for `disable`; TLS without checking the
 * certificate for `require`; the certificate checked against `ca` (or the runtime's built-in
 * roots) for `verify-ca`, and its names against `host` too for `verify-full`. A client
 * certificate goes with any TLS mode.
 *
 * @example
 * ```ts
 * import { postgresSslOption } from "./postgres_connection.ts";
 * postgresSslOption("disable", "127.0.0.1", {}); // => false
 * postgresSslOption("verify-full", "db.example", { ca: "-----BEGIN CERTIFICATE-----..." });
 * ```
 */
export function postgresSslOption(
  mode: PostgresTls,
  host: string,
  secrets: PostgresSecrets,
): false | Record<string, unknown> {
  if (mode === "disable") return false;
  const client = secrets.cert === undefined ? {} : { cert: secrets.cert, key: secrets.key };
  if (mode === "require") return { rejectUnauthorized: false, ...client };
  const bare = host.replace(/^\[|\]$/g, "");
  return {
    rejectUnauthorized: true,
    ...(secrets.ca === undefined ? {} : { ca: secrets.ca }),
    ...(isIP(bare) === 0 ? { servername: bare } : {}),
    ...client,
    // verify-full: the certificate must name the host of the URL (an address by an IP SAN),
    // whatever the socket's own idea of its peer; verify-ca: any name, a trusted signer.
    checkServerIdentity: mode === "verify-full"
      ? (_name: string, cert: PeerCertificate) => checkServerIdentity(bare, cert)
      : () => undefined,
  };
}

/** TLS error codes of an untrusted certificate chain (Node's names, which Deno uses too). */
const UNTRUSTED_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REJECTED",
  "INVALID_CA",
]);

const EXPIRED_CODES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** Where and how a sink connects, for messages. */
export interface PostgresConnectionContext {
  /** `host:port`. */
  readonly endpoint: string;
  /** The TLS mode. */
  readonly mode: PostgresTls;
  /** The CA file, when one is configured. */
  readonly caFile?: string;
  /** The user it logs in as. */
  readonly user: string;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** True for the client's word that the server closed the connection during the TLS handshake. */
function handshakeCut(error: unknown): boolean {
  return /before secure TLS connection was established|handshake/i.test(errorMessage(error));
}

/**
 * True for a failure that waiting does not cure: the server refused the login (SQLSTATE class
 * 28: a wrong password, no `pg_hba.conf` line, a client certificate required), the server's
 * certificate is not trusted or does not name the host, or the server cut the TLS handshake (no
 * TLS there, or our client certificate refused). An outage (refused, reset, timed out) is not.
 *
 * @example
 * ```ts
 * import { isPostgresSetupError } from "./postgres_connection.ts";
 * isPostgresSetupError(Object.assign(new Error("x"), { code: "28P01" })); // => true
 * isPostgresSetupError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })); // => false
 * ```
 */
export function isPostgresSetupError(error: unknown, mode?: PostgresTls): boolean {
  const code = codeOf(error) ?? "";
  if ((error as { name?: unknown })?.name === "PostgresError") return code.startsWith("28");
  if (UNTRUSTED_CODES.has(code) || EXPIRED_CODES.has(code)) return true;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return true;
  return mode !== undefined && mode !== "disable" && handshakeCut(error);
}

/**
 * A connection error told plainly, with what to check; other errors come back as they are. The
 * message names the endpoint, the mode, the CA file and the user, never the password.
 *
 * @example
 * ```ts
 * import { explainPostgresError } from "./postgres_connection.ts";
 * const error = Object.assign(new Error("self-signed certificate in certificate chain"), {
 *   code: "SELF_SIGNED_CERT_IN_CHAIN",
 * });
 * explainPostgresError(error, { endpoint: "db:5432", mode: "verify-full", user: "qts" });
 * // => Error: the certificate of PostgreSQL at db:5432 is not signed by the built-in root CAs ...
 * ```
 */
export function explainPostgresError(error: unknown, context: PostgresConnectionContext): unknown {
  const code = codeOf(error) ?? "";
  const message = errorMessage(error);
  const at = `PostgreSQL at ${context.endpoint}`;
  const trusted = context.caFile === undefined
    ? "the built-in root CAs (set tls_ca_file to the CA that signed it)"
    : `the CA in tls_ca_file (${printable(context.caFile)})`;
  let explained: string | undefined;
  if (UNTRUSTED_CODES.has(code)) {
    explained = `the certificate of ${at} is not signed by ${trusted} (tls ${context.mode}): ` +
      `${code}: ${message}`;
  } else if (EXPIRED_CODES.has(code)) {
    explained = `the certificate of ${at} is not valid now (tls ${context.mode}): ${code}: ` +
      message;
  } else if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    explained = `the certificate of ${at} does not name the host connected to (tls ` +
      `verify-full checks it; connect by a name it lists): ${message}`;
  } else if (context.mode !== "disable" && handshakeCut(error)) {
    explained = `${at} closed the connection during the TLS handshake (tls ${context.mode}): ` +
      "the server may not accept TLS (ssl = off), or refused the client certificate: " + message;
  } else if (code === "28P01") {
    explained = `${at} refused the password of user ${context.user} (check password_file, ` +
      `password_env or PGPASSWORD): ${code}: ${message}`;
  } else if (code.startsWith("28") && (error as { name?: unknown })?.name === "PostgresError") {
    explained = `${at} refused the login of user ${context.user} (tls ${context.mode}; see ` +
      `its pg_hba.conf): ${code}: ${message}`;
  }
  if (explained === undefined) return error;
  const out = new Error(explained, { cause: error });
  return Object.assign(out, { code });
}
