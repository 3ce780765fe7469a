/**
 * A run's configuration file, loaded with the connection URLs it names by environment variable
 * resolved: what the recording commands and `follow` start from. Kept apart from the recording
 * frame (`recording_command.ts`) so that `follow` loads the configuration without the pipeline.
 *
 * @module
 */

import { type ObserverConfig } from "../config/config_types.ts";
import { resolveConnectionUrls } from "../config/resolve_config.ts";
import { ConfigError, loadConfig } from "../config/load_config.ts";

/** Reads an environment variable: its value, or undefined when it is not set. */
export type EnvReader = (name: string) => string | undefined;

/** An environment variable through `env`, or why it cannot be read (the tasks grant only some). */
function readEnvironment(env: EnvReader, name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    throw new Error(
      "no permission to read it; the tasks grant QTS_* and PG* variables (see README, Permissions)",
    );
  }
  return env(name);
}

/**
 * Loads a configuration file with its connection URLs resolved from the environment variables it
 * names (read with `env`); returns the message saying why it cannot be used instead.
 *
 * @example
 * ```ts
 * import { loadRunConfig } from "./run_config.ts";
 * const config = await loadRunConfig("examples/config/fan_out.jsonc", (name) => Deno.env.get(name));
 * if (typeof config === "string") console.error(config);
 * ```
 */
export async function loadRunConfig(
  path: string,
  env: EnvReader,
): Promise<ObserverConfig | string> {
  try {
    const config = await loadConfig(path);
    const resolved = resolveConnectionUrls(config, (name) => readEnvironment(env, name));
    if (Array.isArray(resolved)) return new ConfigError(path, resolved).message;
    return resolved;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}
