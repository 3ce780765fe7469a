/**
 * The `auth` and `tls` objects of a `nats` sink and of the `nats` block: how a NATS connection
 * authenticates (exactly one of user and password, token, NKey seed, creds file) and which TLS
 * files it uses. Secrets are named, never written: each comes from a file (`*_file`) or an
 * environment variable (`*_env`). Relative files are relative to the configuration file. The
 * secrets are read when a command resolves its configuration ({@linkcode resolveNatsCredentials}).
 *
 * @module
 */

import { z } from "zod";
import { NatsCredentials } from "../nats/credentials.ts";
import type {
  NatsAuthSpec,
  NatsSecuritySpec,
  NatsTlsSpec,
  SecretSource,
} from "../nats/security_spec.ts";
import { maskNatsUrl } from "../nats/servers.ts";
import { configRelativePath } from "./config_files.ts";

/** What a NATS connection description carries about security. */
export interface NatsSecured {
  /** The `auth` and `tls` objects (paths and variable names), when the file gives them. */
  readonly security?: NatsSecuritySpec;
  /** The secrets they name, once read ({@linkcode resolveNatsCredentials}). */
  readonly credentials?: NatsCredentials;
}

/** An environment variable's name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envName = z.string({ error: "expected the name of an environment variable" }).regex(
  ENV_NAME,
  {
    error: "expected the name of an environment variable (letters, digits, _; the tasks may " +
      "read QTS_* and PG* only)",
  },
);

const filePath = z.string({ error: "expected a file path" }).min(1, {
  error: "expected a file path",
});

/** Keys people write a secret under; refused with a pointer to the `_file`/`_env` keys. */
const INLINE_SECRETS: Readonly<Record<string, string>> = {
  password: "password",
  pass: "password",
  token: "token",
  nkey_seed: "nkey_seed",
  seed: "nkey_seed",
  nkey: "nkey_seed",
  jwt: "creds",
  creds: "creds",
};

const inlineSecretFields = Object.fromEntries(
  Object.keys(INLINE_SECRETS).map((key) => [key, z.unknown().optional()]),
);

/** One of `<secret>_file` and `<secret>_env`, as a source; undefined when neither is given. */
function sourceOf(file: string | undefined, env: string | undefined): SecretSource | undefined {
  if (file !== undefined) return { file };
  if (env !== undefined) return { env };
  return undefined;
}

const AUTH_KINDS = "user with password_file or password_env, token_file or token_env, " +
  "nkey_seed_file or nkey_seed_env, or creds_file";

const authSchema = z.strictObject({
  user: z.string({ error: "expected a user name" }).min(1, { error: "expected a user name" })
    .optional(),
  password_file: filePath.optional(),
  password_env: envName.optional(),
  token_file: filePath.optional(),
  token_env: envName.optional(),
  nkey_seed_file: filePath.optional(),
  nkey_seed_env: envName.optional(),
  creds_file: filePath.optional(),
  ...inlineSecretFields,
}, { error: `expected an auth object: ${AUTH_KINDS}` }).superRefine((raw, ctx) => {
  const given = raw as Record<string, unknown>;
  for (const [key, secret] of Object.entries(INLINE_SECRETS)) {
    if (given[key] === undefined) continue;
    const named = secret === "creds"
      ? "a credentials file (creds_file)"
      : `a file (${secret}_file) or an environment variable (${secret}_env)`;
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `expected no secret in the configuration: name ${named} that holds it, got ` +
        "one written here (not shown)",
    });
  }
  const pairs: [string, string | undefined, string | undefined][] = [
    ["password", raw.password_file, raw.password_env],
    ["token", raw.token_file, raw.token_env],
    ["nkey_seed", raw.nkey_seed_file, raw.nkey_seed_env],
  ];
  for (const [secret, file, env] of pairs) {
    if (file !== undefined && env !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [`${secret}_env`],
        message: `expected one of ${secret}_file and ${secret}_env, got both`,
      });
    }
  }
  const kinds = [
    ...(raw.user !== undefined || raw.password_file !== undefined ||
        raw.password_env !== undefined
      ? ["user and password"]
      : []),
    ...(raw.token_file !== undefined || raw.token_env !== undefined ? ["token"] : []),
    ...(raw.nkey_seed_file !== undefined || raw.nkey_seed_env !== undefined ? ["NKey seed"] : []),
    ...(raw.creds_file !== undefined ? ["creds file"] : []),
  ];
  if (kinds.length > 1) {
    ctx.addIssue({
      code: "custom",
      message: `expected one way to authenticate, got ${kinds.length} (${
        kinds.join(", ")
      }): keep one`,
    });
  } else if (kinds.length === 0) {
    if (Object.keys(INLINE_SECRETS).every((key) => given[key] === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: `expected one way to authenticate: ${AUTH_KINDS}, got none`,
      });
    }
  } else if (kinds[0] === "user and password") {
    if (raw.user === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["user"],
        message: "expected a user name with password_file or password_env, got nothing",
      });
    } else if (raw.password_file === undefined && raw.password_env === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "expected password_file or password_env with user, got neither",
      });
    }
  }
}).transform((raw): NatsAuthSpec | undefined => {
  const password = sourceOf(raw.password_file, raw.password_env);
  if (raw.user !== undefined && password !== undefined) {
    return { kind: "user_password", user: raw.user, password };
  }
  const token = sourceOf(raw.token_file, raw.token_env);
  if (token !== undefined) return { kind: "token", token };
  const seed = sourceOf(raw.nkey_seed_file, raw.nkey_seed_env);
  if (seed !== undefined) return { kind: "nkey", seed };
  if (raw.creds_file !== undefined) return { kind: "creds", file: raw.creds_file };
  return undefined;
});

const tlsSchema = z.strictObject({
  ca_file: filePath.nullish(),
  cert_file: filePath.nullish(),
  key_file: filePath.nullish(),
}, { error: "expected a tls object (ca_file, cert_file, key_file; each optional)" }).superRefine(
  (raw, ctx) => {
    if ((raw.cert_file == null) !== (raw.key_file == null)) {
      ctx.addIssue({
        code: "custom",
        path: [raw.cert_file == null ? "cert_file" : "key_file"],
        message: "expected cert_file and key_file together (the client certificate and its key)",
      });
    }
  },
).transform((raw): NatsTlsSpec => ({
  ...(raw.ca_file == null ? {} : { caFile: raw.ca_file }),
  ...(raw.cert_file == null ? {} : { certFile: raw.cert_file }),
  ...(raw.key_file == null ? {} : { keyFile: raw.key_file }),
}));

/** The `auth` and `tls` fields, for the zod objects of a `nats` sink and the `nats` block. */
export const natsSecurityFields = {
  auth: authSchema.nullish(),
  tls: tlsSchema.nullish(),
};

/**
 * `{ security }` of parsed `auth` and `tls` fields, or `{}` when neither is given.
 *
 * @example
 * ```ts
 * import { natsSecurityOf } from "./nats_security.ts";
 * natsSecurityOf({ auth: { kind: "creds", file: "a.creds" } });
 * // => { security: { auth: { kind: "creds", file: "a.creds" } } }
 * ```
 */
export function natsSecurityOf(
  raw: { readonly auth?: NatsAuthSpec | null; readonly tls?: NatsTlsSpec | null },
): { security?: NatsSecuritySpec } {
  const auth = raw.auth ?? undefined;
  const tls = raw.tls ?? undefined;
  if (auth === undefined && tls === undefined) return {};
  return {
    security: { ...(auth === undefined ? {} : { auth }), ...(tls === undefined ? {} : { tls }) },
  };
}

function sourceJson(secret: string, source: SecretSource): Record<string, string> {
  return "file" in source ? { [`${secret}_file`]: source.file } : { [`${secret}_env`]: source.env };
}

/**
 * The `auth` and `tls` objects as the configuration file writes them (`null` for none): what
 * `config check` prints. Names and paths only; there is no secret in a spec.
 *
 * @example
 * ```ts
 * import { natsSecurityJson } from "./nats_security.ts";
 * natsSecurityJson({ auth: { kind: "token", token: { env: "QTS_NATS_TOKEN" } } });
 * // => { auth: { token_env: "QTS_NATS_TOKEN" }, tls: null }
 * ```
 */
export function natsSecurityJson(
  spec: NatsSecuritySpec | undefined,
): { auth: Record<string, string> | null; tls: Record<string, string | null> | null } {
  const auth = spec?.auth;
  const tls = spec?.tls;
  return {
    auth: auth === undefined
      ? null
      : auth.kind === "user_password"
      ? { user: auth.user, ...sourceJson("password", auth.password) }
      : auth.kind === "token"
      ? sourceJson("token", auth.token)
      : auth.kind === "nkey"
      ? sourceJson("nkey_seed", auth.seed)
      : { creds_file: auth.file },
    tls: tls === undefined ? null : {
      ca_file: tls.caFile ?? null,
      cert_file: tls.certFile ?? null,
      key_file: tls.keyFile ?? null,
    },
  };
}

function sourceRelativeTo(dir: string, source: SecretSource): SecretSource {
  return "file" in source ? { file: configRelativePath(dir, source.file) } : source;
}

/** `spec` with its relative files resolved against `dir` (absolute paths stay as they are). */
export function specRelativeTo(dir: string, spec: NatsSecuritySpec): NatsSecuritySpec {
  const auth = spec.auth;
  const tls = spec.tls;
  return {
    ...(auth === undefined ? {} : {
      auth: auth.kind === "user_password"
        ? { ...auth, password: sourceRelativeTo(dir, auth.password) }
        : auth.kind === "token"
        ? { ...auth, token: sourceRelativeTo(dir, auth.token) }
        : auth.kind === "nkey"
        ? { ...auth, seed: sourceRelativeTo(dir, auth.seed) }
        : { ...auth, file: configRelativePath(dir, auth.file) },
    }),
    ...(tls === undefined ? {} : {
      tls: {
        ...(tls.caFile === undefined ? {} : { caFile: configRelativePath(dir, tls.caFile) }),
        ...(tls.certFile === undefined ? {} : { certFile: configRelativePath(dir, tls.certFile) }),
        ...(tls.keyFile === undefined ? {} : { keyFile: configRelativePath(dir, tls.keyFile) }),
      },
    }),
  };
}

/**
 * How a configuration error shows the value at `path`, when it must not be shown as it is:
 * anything under an `auth` object (a secret may have been written where a name belongs) and a
 * server URL with a user part (a token or password). Undefined: show it as usual.
 *
 * @example
 * ```ts
 * import { hiddenConfigValue } from "./nats_security.ts";
 * hiddenConfigValue(["nats", "auth", "password_env"], "hunter2!"); // => "a string (not shown: ...)"
 * ```
 */
export function hiddenConfigValue(
  path: readonly PropertyKey[],
  value: unknown,
): string | undefined {
  if (value === undefined) return undefined;
  if (path.includes("auth")) {
    const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    const article = /^[aeiou]/.test(kind) ? "an" : "a";
    return `${article} ${kind} (not shown: values under auth are never printed)`;
  }
  if (typeof value === "string" && /^(nats|tls):\/\/[^/?#]*@/i.test(value)) {
    return `${JSON.stringify(maskNatsUrl(value))} (string)`;
  }
  return undefined;
}
