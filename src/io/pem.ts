/**
 * Recognising PEM files before a TLS library is handed them, so that a wrong file is named with
 * what was expected instead of failing later inside a handshake.
 *
 * @module
 */

/** What a PEM file is expected to hold. */
export type PemKind = "certificate" | "key";

const LABELS: Readonly<Record<PemKind, RegExp>> = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
};

/** The header a PEM file of `kind` starts a block with, for messages. */
export function pemHeader(kind: PemKind): string {
  return kind === "key" ? "-----BEGIN PRIVATE KEY-----" : "-----BEGIN CERTIFICATE-----";
}

/**
 * True when `text` holds a PEM block of `kind` (a private key of any algorithm for `key`).
 *
 * @example
 * ```ts
 * import { isPem } from "./pem.ts";
 * isPem("-----BEGIN EC PRIVATE KEY-----\n...", "key"); // => true
 * ```
 */
export function isPem(text: string, kind: PemKind): boolean {
  return LABELS[kind].test(text);
}

/**
 * True for a private key protected by a passphrase (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy
 * `Proc-Type: 4,ENCRYPTED` header), which the services cannot use unattended.
 *
 * @example
 * ```ts
 * import { isEncryptedPem } from "./pem.ts";
 * isEncryptedPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\n..."); // => true
 * ```
 */
export function isEncryptedPem(text: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text);
}
