/**
 * What a configuration says about securing a NATS connection: where each secret is (a file, or
 * an environment variable) and which TLS files to use, never a secret itself; and that, in words.
 * `credentials.ts` reads the secrets these name.
 *
 * @module
 */

import { printable } from "../io/printable.ts";

/** Where a secret is: a file (its path), or an environment variable (its name). */
export type SecretSource = { readonly file: string } | { readonly env: string };

/** A user and password (`user` with `password_file` or `password_env`). */
export interface UserPasswordAuthSpec {
  /** Auth kind. */
  readonly kind: "user_password";
  /** The user name (not a secret: it is written in the configuration). */
  readonly user: string;
  /** Where the password is. */
  readonly password: SecretSource;
}

/** A token (`token_file` or `token_env`). */
export interface TokenAuthSpec {
  /** Auth kind. */
  readonly kind: "token";
  /** Where the token is. */
  readonly token: SecretSource;
}

/** An NKey: the user's seed (`nkey_seed_file` or `nkey_seed_env`); it signs the server's nonce. */
export interface NkeyAuthSpec {
  /** Auth kind. */
  readonly kind: "nkey";
  /** Where the seed (`SU...`) is. */
  readonly seed: SecretSource;
}

/** A `.creds` file (a user JWT and its NKey seed, as `nsc` writes it): `creds_file`. */
export interface CredsAuthSpec {
  /** Auth kind. */
  readonly kind: "creds";
  /** Path of the file. */
  readonly file: string;
}

/** How the client proves who it is: exactly one kind. */
export type NatsAuthSpec = UserPasswordAuthSpec | TokenAuthSpec | NkeyAuthSpec | CredsAuthSpec;

/** TLS files: the CA that signs the server's certificate, and the client's certificate and key. */
export interface NatsTlsSpec {
  /** PEM file of the CA certificates to trust (absent: the system's). */
  readonly caFile?: string;
  /** PEM file of the client certificate (with `keyFile`), for servers that verify clients. */
  readonly certFile?: string;
  /** PEM file of the client certificate's private key (unencrypted). */
  readonly keyFile?: string;
}

/** What a configuration says about securing one connection: the paths and names, no secrets. */
export interface NatsSecuritySpec {
  /** How to authenticate, if at all. */
  readonly auth?: NatsAuthSpec;
  /** TLS files, if any (a `tls://` URL asks for TLS without them). */
  readonly tls?: NatsTlsSpec;
}

/** The configuration key of a secret source: `password_file`, `token_env`, ... */
export function sourceKey(secret: string, source: SecretSource): string {
  return "file" in source ? `${secret}_file` : `${secret}_env`;
}

/** Where a secret comes from, in words. */
export function describeSource(source: SecretSource): string {
  return "file" in source
    ? `from the file ${printable(source.file)}`
    : `from the environment variable ${printable(source.env)}`;
}

/**
 * The spec in words, without secrets: `user "alice" with the password from the environment
 * variable QTS_NATS_PASSWORD; TLS with the CA file /srv/ca.pem`.
 *
 * @example
 * ```ts
 * import { describeSecuritySpec } from "./security_spec.ts";
 * describeSecuritySpec({ auth: { kind: "creds", file: "/srv/a.creds" } });
 * // => "the credentials file /srv/a.creds"
 * ```
 */
export function describeSecuritySpec(spec: NatsSecuritySpec): string {
  const parts: string[] = [];
  const auth = spec.auth;
  if (auth?.kind === "user_password") {
    parts.push(
      `user ${JSON.stringify(printable(auth.user))} with the password ${
        describeSource(auth.password)
      }`,
    );
  } else if (auth?.kind === "token") {
    parts.push(`token ${describeSource(auth.token)}`);
  } else if (auth?.kind === "nkey") {
    parts.push(`NKey seed ${describeSource(auth.seed)}`);
  } else if (auth?.kind === "creds") {
    parts.push(`the credentials file ${printable(auth.file)}`);
  }
  const tls = spec.tls;
  if (tls !== undefined) {
    const files = [
      tls.caFile === undefined ? "the system's CAs" : `the CA file ${printable(tls.caFile)}`,
      ...(tls.certFile === undefined ? [] : [`the client certificate ${printable(tls.certFile)}`]),
    ];
    parts.push(`TLS with ${files.join(" and ")}`);
  }
  return parts.length === 0 ? "no credentials" : parts.join("; ");
}
