/**
 * The one place that turns a project root into `data/observer` paths.
 *
 * Entry scripts resolve the root (see {@linkcode resolveProjectRoot}) and hand it down;
 * library code never looks at the CWD or rediscovers the root.
 *
 * @module
 */

import { basename, dirname, isAbsolute, join } from "node:path";
import { hasControlCharacter, printable } from "./io/printable.ts";

/** Where the running program comes from, as an entry script knows it. */
export interface EntryLocation {
  /** `import.meta.dirname` of the entry script. */
  readonly moduleDir: string | undefined;
  /** `Deno.build.standalone`: true inside a `deno compile` binary. */
  readonly standalone: boolean;
  /** `Deno.execPath()`: the running executable. */
  readonly execPath: string;
}

/**
 * Resolves the project root of an entry script.
 *
 * Run from source, the root is the directory holding the entry script. In a compiled binary
 * (`standalone`) `import.meta` points into the binary's virtual file system, so the root is taken
 * from the executable instead: its directory, or that directory's parent when the binary sits in
 * the project's `bin/` (where `deno task compile` puts it).
 *
 * @example
 * ```ts
 * resolveProjectRoot({ moduleDir: "/srv/qts", standalone: false, execPath: "/usr/bin/deno" });
 * // => "/srv/qts"
 * resolveProjectRoot({ moduleDir: "/tmp/x", standalone: true, execPath: "/srv/qts/bin/qts" });
 * // => "/srv/qts"
 * ```
 */
export function resolveProjectRoot(location: EntryLocation): string {
  if (location.standalone) {
    const exeDir = dirname(location.execPath);
    return basename(exeDir) === "bin" ? dirname(exeDir) : exeDir;
  }
  if (location.moduleDir === undefined) {
    throw new Error(
      "cannot resolve the project root: expected the entry script to be a local file " +
        "(import.meta.dirname), got a remote module",
    );
  }
  return location.moduleDir;
}

/**
 * The directory that holds every record file: `<root>/data/observer`.
 *
 * @example
 * ```ts
 * observerDataDir("/srv/qts"); // => "/srv/qts/data/observer"
 * ```
 */
export function observerDataDir(root: string): string {
  return join(root, "data", "observer");
}

/** The record file name used when none is given. */
export const DEFAULT_RECORD_FILE = "observer.jsonl";

/**
 * Checks that `name` is a bare file name ending in `extension` and returns it; throws a clear
 * error for anything that could point outside `data/observer` (separators, `..`, absolute paths).
 *
 * @example
 * ```ts
 * checkOutputFileName("report.html", ".html"); // => "report.html"
 * checkOutputFileName("../x.html", ".html"); // throws
 * ```
 */
export function checkOutputFileName(name: string, extension: string): string {
  const problem = fileNameProblem(name, extension);
  if (problem !== undefined) {
    throw new RangeError(
      `invalid file name ${printable(JSON.stringify(name))}: expected a bare file name ending in ` +
        `${JSON.stringify(extension)} inside data/observer, but it ${problem}`,
    );
  }
  return name;
}

/**
 * Checks a record file name: a bare name ending in `.jsonl` (see {@linkcode checkOutputFileName}).
 *
 * @example
 * ```ts
 * checkRecordFileName("session.jsonl"); // => "session.jsonl"
 * ```
 */
export function checkRecordFileName(name: string): string {
  return checkOutputFileName(name, ".jsonl");
}

function fileNameProblem(name: string, extension: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (isAbsolute(name)) return "is an absolute path";
  if (name.includes("/") || name.includes("\\")) return "contains a path separator";
  if (name.startsWith("..")) return "starts with '..'";
  if (hasControlCharacter(name)) return "contains a control character";
  if (!name.endsWith(extension) || name === extension) {
    return `does not end in ${JSON.stringify(extension)}`;
  }
  return undefined;
}

/**
 * The full path of a record file: `<root>/data/observer/<name>`, after {@linkcode checkRecordFileName}.
 *
 * @example
 * ```ts
 * recordFilePath("/srv/qts", "observer.jsonl"); // => "/srv/qts/data/observer/observer.jsonl"
 * ```
 */
export function recordFilePath(root: string, name: string): string {
  return join(observerDataDir(root), checkRecordFileName(name));
}

/** What a dead-letter file name adds to its record file's base. */
export const DEAD_LETTER_SUFFIX = ".rejected.jsonl";

/**
 * The dead-letter file of a record file: `<base>.rejected.jsonl`.
 *
 * @example
 * ```ts
 * import { deadLetterFileName } from "./paths.ts";
 * deadLetterFileName("observer.jsonl"); // => "observer.rejected.jsonl"
 * ```
 */
export function deadLetterFileName(recordFileName: string): string {
  return recordFileName.slice(0, -".jsonl".length) + DEAD_LETTER_SUFFIX;
}

/**
 * Checks a record file name a user chose: {@linkcode checkRecordFileName}, and not a name of
 * the form dead-letter files use (`*.rejected.jsonl`), which would mix the two.
 *
 * @example
 * ```ts
 * import { checkUserRecordFileName } from "./paths.ts";
 * checkUserRecordFileName("session.jsonl"); // => "session.jsonl"
 * ```
 */
export function checkUserRecordFileName(name: string): string {
  checkRecordFileName(name);
  if (name.endsWith(DEAD_LETTER_SUFFIX)) {
    throw new RangeError(
      `invalid file name ${printable(JSON.stringify(name))}: names ending in ` +
        `"${DEAD_LETTER_SUFFIX}" are reserved for dead-letter files; choose another --file`,
    );
  }
  return name;
}

/**
 * The full path of another output file under `data/observer` (a report, say), checked by
 * {@linkcode checkOutputFileName}.
 *
 * @example
 * ```ts
 * outputFilePath("/srv/qts", "report.html", ".html"); // => "/srv/qts/data/observer/report.html"
 * ```
 */
export function outputFilePath(root: string, name: string, extension: string): string {
  return join(observerDataDir(root), checkOutputFileName(name, extension));
}

/** The longest path a Unix socket may have on Linux (`sun_path` holds 108 bytes with the NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * The Unix socket `observer.ts serve` runs its HTTP server on behind the connection guard, named
 * after the port it listens on: `data/observer/.serve-<port>.sock` (the serve task grants
 * `--allow-net=unix:$PWD/data/observer/.serve-8089.sock`). Throws when the path is longer than a
 * socket path may be.
 *
 * @example
 * ```ts
 * serviceSocketPath("/srv/qts", 8089); // => "/srv/qts/data/observer/.serve-8089.sock"
 * ```
 */
export function serviceSocketPath(root: string, port: number): string {
  const path = join(observerDataDir(root), `.serve-${port}.sock`);
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `the service's socket ${path} is ${bytes} bytes long: expected at most ` +
        `${MAX_SOCKET_PATH_BYTES} (a Unix socket path limit); run from a shorter directory`,
    );
  }
  return path;
}
