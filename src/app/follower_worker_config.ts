/**
 * A follower's sink description as it crosses to its worker. Everything in it is plain data
 * except a nats sink's credentials, whose secrets are out of reach of cloning by design: they
 * cross as their parts and are made into credentials again on the other side.
 *
 * @module
 */

import {
  NatsCredentials,
  type NatsSecurityMaterial,
  natsSecurityMaterial,
} from "../nats/credentials.ts";
import type { FollowerSinkConfig } from "./recording_log.ts";

/** The parts of a `NatsCredentials`. */
interface CredentialParts {
  readonly where: string;
  readonly spec: NatsCredentials["spec"];
  readonly material: NatsSecurityMaterial;
}

/** A sink description that can be posted to a worker. */
export type SentFollowerConfig = Omit<FollowerSinkConfig, "credentials"> & {
  readonly credentialParts?: CredentialParts;
};

/**
 * `config` in a form `postMessage` carries whole.
 *
 * @example
 * ```ts
 * import { sendableFollowerConfig } from "./follower_worker_config.ts";
 * import type { FollowerSinkConfig } from "./recording_log.ts";
 * declare const config: FollowerSinkConfig;
 * new Worker(new URL("./follower_worker.ts", import.meta.url), { type: "module" })
 *   .postMessage(sendableFollowerConfig(config));
 * ```
 */
export function sendableFollowerConfig(config: FollowerSinkConfig): SentFollowerConfig {
  if (config.type !== "nats" || config.credentials === undefined) return config;
  const { credentials, ...rest } = config;
  return {
    ...rest,
    credentialParts: {
      where: credentials.where,
      spec: credentials.spec,
      material: natsSecurityMaterial(credentials),
    },
  };
}

/**
 * The sink description a worker received, as it was sent.
 *
 * @example
 * ```ts
 * import { receivedFollowerConfig, type SentFollowerConfig } from "./follower_worker_config.ts";
 * declare const sent: SentFollowerConfig;
 * receivedFollowerConfig(sent).name;
 * ```
 */
export function receivedFollowerConfig(sent: SentFollowerConfig): FollowerSinkConfig {
  const { credentialParts, ...rest } = sent;
  if (credentialParts === undefined) return rest as FollowerSinkConfig;
  const { where, spec, material } = credentialParts;
  return { ...rest, credentials: new NatsCredentials(where, spec, material) } as FollowerSinkConfig;
}
