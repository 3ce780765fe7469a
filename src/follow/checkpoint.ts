/**
 * A follower's checkpoint: how far into the log its destination has acknowledged everything,
 * kept in `data/observer/<log base>.follow.<follower>.checkpoint.json` and replaced atomically
 * (a new file written and synced, then renamed over the old one) after each acknowledged batch.
 * A crash at any moment leaves either the old checkpoint or the new one, never half of one.
 *
 * @module
 */

import { join } from "node:path";
import type { SamplerState } from "../sinks/record_sampler.ts";
import type { LogLocation } from "./log_files.ts";
import { fileIdentity } from "./log_reader.ts";

/** The checkpoint format's version. */
export const CHECKPOINT_VERSION = 1;

/** Where a follower stands in its log, and what it delivered so far. */
export interface Checkpoint {
  /** Format version ({@linkcode CHECKPOINT_VERSION}). */
  readonly version: number;
  /** The log's base name. */
  readonly log: string;
  /** The log file the position is in. */
  readonly file: string;
  /** Byte offset in `file` just past the last line acknowledged (a line start). */
  readonly offset: number;
  /** The file's identity (inode and first-line hash): a file recorded again under the name differs. */
  readonly identity?: string;
  /** Lines of the log read past, over the follower's life. */
  readonly records: number;
  /** Records the destination acknowledged. */
  readonly delivered: number;
  /** Records the destination refused for their content. */
  readonly refused: number;
  /** Lines of the log that were not records (skipped, logged). */
  readonly skipped: number;
  /** Event time (ms) of the last record delivered, when known. */
  readonly lastEventMs?: number;
  /** The sampler's counters after the last line read past. */
  readonly sampler?: SamplerState;
  /** When it was written (ISO-8601 UTC). */
  readonly updatedAt: string;
}

/** A checkpoint file that exists but cannot be used. */
export class CheckpointError extends Error {
  /** The checkpoint file. */
  readonly path: string;

  /** Says what is wrong with `path`. */
  constructor(path: string, problem: string) {
    super(
      `${path}: ${problem}; move it away to start the follower again from the oldest log file ` +
        "(records already delivered are not duplicated: destinations drop them by run_id)",
    );
    this.name = "CheckpointError";
    this.path = path;
  }
}

/**
 * A follower name as it may appear in a file name: letters, digits, `-` and `_` kept, anything
 * else as `_`, plus a short hash of the whole name when something was replaced (so two names
 * never share a file).
 *
 * @example
 * ```ts
 * import { fileSafeName } from "./checkpoint.ts";
 * fileSafeName("db"); // => "db"
 * fileSafeName("postgres:main"); // => "postgres_main-1f2b3c4d" (hash varies with the name)
 * ```
 */
export function fileSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  if (safe === name) return name;
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return `${safe}-${(h >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * The base of a follower's own files in the log's directory: `<log base>.follow.<name>`; its
 * checkpoint is `<that>.checkpoint.json` and its lock `<that>.lock`.
 *
 * @example
 * ```ts
 * import { followerFileBase } from "./checkpoint.ts";
 * followerFileBase("observer", "db"); // => "observer.follow.db"
 * ```
 */
export function followerFileBase(logBase: string, followerName: string): string {
  return `${logBase}.follow.${fileSafeName(followerName)}`;
}

/** The checkpoint file of a follower of the log `logBase` in `dir`. */
export function checkpointPath(dir: string, logBase: string, followerName: string): string {
  return join(dir, `${followerFileBase(logBase, followerName)}.checkpoint.json`);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Checks a parsed checkpoint; returns it typed, or what is wrong. */
function parseCheckpoint(value: unknown, logBase: string): Checkpoint | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "expected a JSON object";
  }
  const c = value as Record<string, unknown>;
  if (c.version !== CHECKPOINT_VERSION) {
    return `expected version ${CHECKPOINT_VERSION}, got ${JSON.stringify(c.version)}`;
  }
  if (c.log !== logBase) {
    return `expected a checkpoint of the log ${JSON.stringify(logBase)}, got ${
      JSON.stringify(c.log)
    }`;
  }
  if (typeof c.file !== "string" || !c.file.startsWith(logBase) || c.file.includes("/")) {
    return `file: expected a file name of the log ${logBase}, got ${JSON.stringify(c.file)}`;
  }
  for (const key of ["offset", "records", "delivered", "refused", "skipped"]) {
    if (!isCount(c[key])) return `${key}: expected a count, got ${JSON.stringify(c[key])}`;
  }
  return c as unknown as Checkpoint;
}

/**
 * The follower's checkpoint, or undefined when it has none yet. Throws
 * {@linkcode CheckpointError} when the file exists but is not a checkpoint of this log.
 *
 * @example
 * ```ts
 * import { checkpointPath, readCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * await readCheckpoint(checkpointPath(dir, "observer", "db"), "observer"); // => undefined
 * ```
 */
export async function readCheckpoint(
  path: string,
  logBase: string,
): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(path, `not JSON (${(error as Error).message})`);
  }
  const checkpoint = parseCheckpoint(value, logBase);
  if (typeof checkpoint === "string") throw new CheckpointError(path, checkpoint);
  return checkpoint;
}

/**
 * Replaces the checkpoint atomically: writes `<path>.tmp`, syncs it, renames it over `path`.
 *
 * @example
 * ```ts
 * import { checkpointPath, writeCheckpoint } from "./checkpoint.ts";
 * const dir = await Deno.makeTempDir();
 * await writeCheckpoint(checkpointPath(dir, "observer", "db"), {
 *   version: 1, log: "observer", file: "observer.jsonl", offset: 0, records: 0, delivered: 0,
 *   refused: 0, skipped: 0, updatedAt: new Date().toISOString(),
 * });
 * ```
 */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temporary = `${path}.tmp`;
  const bytes = new TextEncoder().encode(JSON.stringify(checkpoint) + "\n");
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  try {
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    await file.syncData();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, path);
}

/**
 * The checkpoint, or a copy of it at the start of its file when that file was replaced since
 * (another inode, or shorter than the offset: deleted and recorded again under the same name);
 * `onReplaced` is told so. A file that is gone keeps the checkpoint (the reader goes on with the
 * next file and says so).
 *
 * @example
 * ```ts
 * import { checkpointStillValid, type Checkpoint } from "./checkpoint.ts";
 * declare const checkpoint: Checkpoint;
 * const dir = await Deno.makeTempDir();
 * await checkpointStillValid(checkpoint, { dir, base: "observer" }, () => {});
 * ```
 */
export async function checkpointStillValid(
  checkpoint: Checkpoint | undefined,
  log: LogLocation,
  onReplaced: (checkpoint: Checkpoint) => void,
): Promise<Checkpoint | undefined> {
  if (checkpoint === undefined) return undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(log.dir, checkpoint.file), { read: true });
  } catch {
    return checkpoint;
  }
  let identity: string | undefined;
  let size: number;
  try {
    identity = await fileIdentity(file);
    size = (await file.stat()).size;
  } finally {
    file.close();
  }
  const replaced = (checkpoint.identity !== undefined && identity !== checkpoint.identity) ||
    size < checkpoint.offset;
  if (!replaced) return checkpoint;
  onReplaced(checkpoint);
  return { ...checkpoint, offset: 0, identity, sampler: undefined };
}
