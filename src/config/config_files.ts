/**
 * Files a configuration names (TLS certificates, secret files): a relative path means relative
 * to the directory of the configuration file, wherever the command was started.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";

/**
 * `path` as named in a configuration file in directory `dir`: an absolute path as it is, a
 * relative one joined to `dir` (no working directory is consulted: a relative `dir` gives a path
 * relative to the same place as it).
 *
 * @example
 * ```ts
 * import { configRelativePath } from "./config_files.ts";
 * configRelativePath("/srv/qts", "certs/ca.pem"); // => "/srv/qts/certs/ca.pem"
 * configRelativePath("/srv/qts", "/etc/qts/ca.pem"); // => "/etc/qts/ca.pem"
 * ```
 */
export function configRelativePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}
