/**
 * Credentials and TLS material of a NATS connection. The configuration names where each secret
 * is (a file, or an environment variable), never the secret itself; this module reads them once,
 * up front, with one problem per field that cannot be used (what was expected, where, never the
 * secret), and holds the material in {@linkcode NatsCredentials}, which prints only where it came
 * from (JSON, `inspect`, `String`).
 *
 * @module
 */

import { isEncryptedPem, isPem } from "../io/pem.ts";
import { printable } from "../io/printable.ts";
import {
  describeSecuritySpec,
  describeSource,
  type NatsAuthSpec,
  type NatsSecuritySpec,
  type NatsTlsSpec,
  type SecretSource,
  sourceKey,
} from "./security_spec.ts";

/** How secrets are read: the caller owns the environment and the file system. */
export interface SecretReaders {
  /** An environment variable's value (undefined when unset); throws when it may not be read. */
  readonly readEnv: (name: string) => string | undefined;
  /** A file's bytes; throws when it cannot be read. */
  readonly readFile: (path: string) => Uint8Array;
  /**
   * A file's permission bits (`stat`'s mode; null where the system has none); throws when it
   * cannot be read. A file holding a secret must be readable by its owner only.
   */
  readonly fileMode: (path: string) => number | null;
}

/** The authentication material, as the connection needs it. */
export type NatsAuthMaterial =
  | { readonly kind: "user_password"; readonly user: string; readonly password: string }
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "nkey"; readonly seed: Uint8Array }
  | { readonly kind: "creds"; readonly creds: Uint8Array };

/** The TLS material, PEM text, as the connection needs it. */
export interface NatsTlsMaterial {
  /** Trusted CA certificates. */
  readonly ca?: string;
  /** Client certificate. */
  readonly cert?: string;
  /** Client key. */
  readonly key?: string;
}

/** What the connection needs: authentication and TLS material. */
export interface NatsSecurityMaterial {
  /** Authentication, if any. */
  readonly auth?: NatsAuthMaterial;
  /** TLS files' contents, if any. */
  readonly tls?: NatsTlsMaterial;
}

/** The material of each credentials object, out of reach of JSON, `inspect` and enumeration. */
const MATERIAL = new WeakMap<NatsCredentials, NatsSecurityMaterial>();

/**
 * Credentials read for one connection. Only {@linkcode natsSecurityMaterial} hands out the
 * secrets; everything else about the object (its JSON, `String`, Deno's and Node's `inspect`)
 * shows where they came from.
 *
 * @example
 * ```ts
 * import { readNatsCredentials } from "./credentials.ts";
 * const credentials = readNatsCredentials(
 *   { auth: { kind: "token", token: { env: "QTS_NATS_TOKEN" } } },
 *   { readEnv: () => "s3cret-token", readFile: Deno.readFileSync, fileMode: () => 0o600 },
 *   "nats",
 * );
 * String(credentials); // => 'NatsCredentials(nats: token from the environment variable QTS_NATS_TOKEN)'
 * ```
 */
export class NatsCredentials {
  /** The configuration path of the block they belong to (`nats`, `sinks[1]`). */
  readonly where: string;
  /** What the configuration says (paths and names). */
  readonly spec: NatsSecuritySpec;
  /** Where the secrets came from, in words (never a secret). */
  readonly description: string;

  /** Holds `material` for {@linkcode natsSecurityMaterial}; see {@linkcode readNatsCredentials}. */
  constructor(where: string, spec: NatsSecuritySpec, material: NatsSecurityMaterial) {
    this.where = where;
    this.spec = spec;
    this.description = describeSecuritySpec(spec);
    MATERIAL.set(this, material);
  }

  /** The description (JSON never carries the secrets). */
  toJSON(): string {
    return `${this.where}: ${this.description}`;
  }

  /** The description. */
  toString(): string {
    return `NatsCredentials(${this.toJSON()})`;
  }

  /** What `Deno.inspect` and `console.log` show. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** What Node's `util.inspect` shows. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * The secrets of `credentials`, for the code that connects (and nothing else).
 *
 * @example
 * ```ts
 * import { natsSecurityMaterial, type NatsCredentials } from "./credentials.ts";
 * declare const credentials: NatsCredentials;
 * natsSecurityMaterial(credentials).auth?.kind;
 * ```
 */
export function natsSecurityMaterial(credentials: NatsCredentials): NatsSecurityMaterial {
  const material = MATERIAL.get(credentials);
  if (material === undefined) throw new TypeError("expected credentials made by this module");
  return material;
}

/** A user NKey seed: `S` (seed), `U` (user), then base32: 58 characters. */
const USER_SEED_PATTERN = /^SU[A-Z2-7]{56}$/;

/** The blocks of a `.creds` file: a dashed line, one base64/base32 line, a dashed line. */
const CREDS_BLOCK = /-{3,}[^\n]*-{3,}\r?\n([\w\-.=]+)\r?\n-{3,}[^\n]*-{3,}/g;

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Reads one configuration entry, collecting a problem instead of throwing. */
class SecretReading {
  readonly problems: string[] = [];
  readonly #readers: SecretReaders;
  readonly #where: string;

  constructor(readers: SecretReaders, where: string) {
    this.#readers = readers;
    this.#where = where;
  }

  #problem(key: string, message: string): undefined {
    this.problems.push(`${this.#where}.${key}: ${message}`);
    return undefined;
  }

  /**
   * A file's text (UTF-8), or undefined with a problem. A `secret` file must not be readable by
   * the group or other users (mode 600 or less, as ssh and libpq demand of keys).
   */
  fileText(key: string, path: string, what: string, secret: boolean): string | undefined {
    let bytes: Uint8Array;
    try {
      const mode = secret ? this.#readers.fileMode(path) : null;
      if (mode !== null && (mode & 0o077) !== 0) {
        return this.#problem(
          key,
          `expected ${printable(path)} to be readable by its owner only (mode 600 or less: it ` +
            `holds ${what}), got mode ${(mode & 0o777).toString(8)} (chmod 600 ${printable(path)})`,
        );
      }
      bytes = this.#readers.readFile(path);
    } catch (error) {
      return this.#problem(
        key,
        `expected a readable file holding ${what}, but cannot read ${printable(path)}: ${
          printable((error as Error).message, 300)
        }`,
      );
    }
    try {
      return decoder.decode(bytes);
    } catch {
      return this.#problem(
        key,
        `expected ${printable(path)} to hold ${what} as UTF-8 text, got other bytes`,
      );
    }
  }

  /** An environment variable's value, or undefined with a problem. */
  envText(key: string, name: string, what: string): string | undefined {
    let value: string | undefined;
    try {
      value = this.#readers.readEnv(name);
    } catch (error) {
      const why = printable((error as Error).message, 300);
      return this.#problem(
        key,
        `cannot read the environment variable ${printable(name)} (${why}): ${
          why.includes("QTS_*") ? "" : "the tasks may read only QTS_* and PG* variables; "
        }name one of those, or run with --allow-env=${printable(name)}`,
      );
    }
    if (value === undefined || value === "") {
      return this.#problem(
        key,
        `expected the environment variable ${printable(name)} to hold ${what}, got nothing (${
          value === undefined ? "unset" : "empty"
        })`,
      );
    }
    return value;
  }

  /** A one-line secret (password, token) from its source; one trailing line end is dropped. */
  line(secret: string, source: SecretSource, what: string): string | undefined {
    const key = sourceKey(secret, source);
    if ("env" in source) return this.envText(key, source.env, what);
    const text = this.fileText(key, source.file, what, true);
    if (text === undefined) return undefined;
    const value = text.replace(/\r?\n$/, "");
    if (value === "") {
      return this.#problem(key, `expected ${printable(source.file)} to hold ${what}, got nothing`);
    }
    if (/[\r\n]/.test(value)) {
      return this.#problem(
        key,
        `expected ${printable(source.file)} to hold ${what} on one line, got several lines ` +
          "(not shown)",
      );
    }
    return value;
  }

  /** A user NKey seed from its source. */
  seed(source: SecretSource): Uint8Array | undefined {
    const seed = this.line("nkey_seed", source, "a user NKey seed (SU...)")?.trim();
    if (seed === undefined) return undefined;
    if (!USER_SEED_PATTERN.test(seed)) {
      return this.#problem(
        sourceKey("nkey_seed", source),
        `expected a user NKey seed (58 characters, starting with SU) ${
          describeSource(source)
        }, got something else (not shown)`,
      );
    }
    return new TextEncoder().encode(seed);
  }

  /** A `.creds` file, checked for its user JWT and seed blocks. */
  creds(path: string): Uint8Array | undefined {
    const text = this.fileText("creds_file", path, "NATS user credentials", true);
    if (text === undefined) return undefined;
    const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]);
    const jwt = blocks[0];
    const seed = blocks[1];
    if (jwt === undefined || jwt.split(".").length !== 3 || !USER_SEED_PATTERN.test(seed ?? "")) {
      return this.#problem(
        "creds_file",
        `expected ${
          printable(path)
        } to be a NATS credentials file (a NATS USER JWT block, then a USER NKEY SEED block ` +
          "with a seed starting SU, as nsc writes it), got something else (not shown)",
      );
    }
    return new TextEncoder().encode(text);
  }

  /** A PEM file: certificates (`CERTIFICATE`) or a private key (`PRIVATE KEY`). */
  pem(key: string, path: string, kind: "certificates" | "key"): string | undefined {
    const what = kind === "key" ? "a PEM private key" : "PEM certificates";
    const text = this.fileText(key, path, what, kind === "key");
    if (text === undefined) return undefined;
    if (kind === "key" && isEncryptedPem(text)) {
      return this.#problem(
        key,
        `expected an unencrypted PEM private key in ${
          printable(path)
        }, got an encrypted one (not supported)`,
      );
    }
    if (!isPem(text, kind === "key" ? "key" : "certificate")) {
      return this.#problem(
        key,
        `expected ${printable(path)} to hold ${what} (-----BEGIN ${
          kind === "key" ? "PRIVATE KEY" : "CERTIFICATE"
        }-----), got something else`,
      );
    }
    return text;
  }
}

function readAuth(auth: NatsAuthSpec, reading: SecretReading): NatsAuthMaterial | undefined {
  switch (auth.kind) {
    case "user_password": {
      const password = reading.line("password", auth.password, "a password");
      return password === undefined
        ? undefined
        : { kind: "user_password", user: auth.user, password };
    }
    case "token": {
      const token = reading.line("token", auth.token, "a token");
      return token === undefined ? undefined : { kind: "token", token };
    }
    case "nkey": {
      const seed = reading.seed(auth.seed);
      return seed === undefined ? undefined : { kind: "nkey", seed };
    }
    case "creds": {
      const creds = reading.creds(auth.file);
      return creds === undefined ? undefined : { kind: "creds", creds };
    }
  }
}

function readTls(tls: NatsTlsSpec, reading: SecretReading): NatsTlsMaterial {
  return {
    ca: tls.caFile === undefined ? undefined : reading.pem("ca_file", tls.caFile, "certificates"),
    cert: tls.certFile === undefined
      ? undefined
      : reading.pem("cert_file", tls.certFile, "certificates"),
    key: tls.keyFile === undefined ? undefined : reading.pem("key_file", tls.keyFile, "key"),
  };
}

/**
 * Reads every secret and TLS file `spec` names, through `readers`. Returns the credentials, or
 * one problem per entry that cannot be used, each starting with its configuration path under
 * `where` (`nats.auth.password_env: ...`, `sinks[1].tls.ca_file: ...`) and never holding a
 * secret.
 *
 * @example
 * ```ts
 * import { readNatsCredentials } from "./credentials.ts";
 * readNatsCredentials(
 *   { auth: { kind: "user_password", user: "alice", password: { env: "QTS_NATS_PASSWORD" } } },
 *   { readEnv: () => undefined, readFile: Deno.readFileSync, fileMode: () => 0o600 },
 *   "nats",
 * );
 * // => ["nats.auth.password_env: expected the environment variable QTS_NATS_PASSWORD to hold a password, got nothing (unset)"]
 * ```
 */
export function readNatsCredentials(
  spec: NatsSecuritySpec,
  readers: SecretReaders,
  where: string,
): NatsCredentials | string[] {
  const authReading = new SecretReading(readers, `${where}.auth`);
  const auth = spec.auth === undefined ? undefined : readAuth(spec.auth, authReading);
  const tlsReading = new SecretReading(readers, `${where}.tls`);
  const tls = spec.tls === undefined ? undefined : readTls(spec.tls, tlsReading);
  const problems = [...authReading.problems, ...tlsReading.problems];
  if (problems.length > 0) return problems;
  return new NatsCredentials(where, spec, { auth, tls });
}
