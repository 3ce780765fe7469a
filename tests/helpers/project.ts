/**
 * Test helpers: the project root, the fixtures, temporary project copies, and spawning
 * the entry scripts with the permission flags of their deno.json tasks.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { taskPermissionFlags as permissionFlagsOf } from "../../tools/task_permissions.ts";
import { tempDir } from "./temp.ts";
import { serviceSocketPath } from "../../src/paths.ts";

/** The real project root (this repository). */
export const PROJECT_ROOT = resolve(import.meta.dirname!, "..", "..");

/** `tests/fixtures`: copies of the real data in the design notes (Python QTS records and snapshots, a KIS archive). */
export const FIXTURES_DIR = resolve(PROJECT_ROOT, "tests", "fixtures");

/** A fixture file's path. */
export function fixture(name: string): string {
  return join(FIXTURES_DIR, name);
}

const COPIED = ["main.ts", "observer.ts", "deno.json", "deno.lock", "src", "tools"];

/**
 * Copies what the entry scripts need (sources, deno.json, deno.lock) of the project at `from`
 * (this repository, or another checkout of it) into a fresh temporary directory with an empty
 * `data/observer`, and returns its path.
 */
export async function copyProject(from = PROJECT_ROOT): Promise<string> {
  const root = await tempDir("root");
  for (const name of COPIED) await copyTree(join(from, name), join(root, name));
  await Deno.mkdir(join(root, "data", "observer"), { recursive: true });
  return root;
}

async function copyTree(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from).catch(() => undefined);
  if (info === undefined) return;
  if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    for await (const entry of Deno.readDir(from)) {
      await copyTree(join(from, entry.name), join(to, entry.name));
    }
  } else {
    await Deno.mkdir(dirname(to), { recursive: true });
    await Deno.copyFile(from, to);
  }
}

/** The `--allow-*` flags of a deno.json task of the project at `root`, paths made absolute. */
export async function taskPermissionFlags(task: string, root = PROJECT_ROOT): Promise<string[]> {
  return permissionFlagsOf(await Deno.readTextFile(join(root, "deno.json")), task, root);
}

/**
 * What `observer.ts serve --listen 127.0.0.1:<port>` needs beyond the serve task's --allow-net:
 * the address and the Unix socket behind its connection guard.
 */
export function serveNet(root: string, port: number): string[] {
  return [`127.0.0.1:${port}`, `unix:${serviceSocketPath(root, port)}`];
}

/** `<root>/data/observer` of a project copy. */
export function observerDir(root: string): string {
  return join(root, "data", "observer");
}

/** The result of a finished entry-script run. */
export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run an entry script. */
export interface ScriptOptions {
  /** The deno.json task whose permission flags to use. */
  readonly task: "run" | "observer" | "serve";
  readonly script: "main.ts" | "observer.ts";
  readonly args?: string[];
  /** Text (UTF-8 encoded) or raw bytes piped to stdin; nothing when absent. */
  readonly stdin?: string | Uint8Array;
  /** Working directory; a fresh temporary directory (not the root) when absent. */
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Paths added to the task's --allow-read, as the README tells users to for outside inputs. */
  readonly extraRead?: string[];
  /** Hosts added to the task's --allow-net (a test server's free port). */
  readonly extraNet?: string[];
}

/** Starts an entry script of the project copy at `root` with its task's permission flags. */
export async function spawnScript(
  root: string,
  options: ScriptOptions,
): Promise<Deno.ChildProcess> {
  const flags = (await taskPermissionFlags(options.task, root)).map((flag) =>
    flag.startsWith("--allow-read=") && options.extraRead !== undefined
      ? `${flag},${options.extraRead.join(",")}`
      : flag.startsWith("--allow-net=") && options.extraNet !== undefined
      ? `${flag},${options.extraNet.join(",")}`
      : flag
  );
  const cwd = options.cwd ?? await tempDir("cwd");
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, join(root, options.script), ...(options.args ?? [])],
    cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs an entry script to the end and collects its output. */
export async function runScript(root: string, options: ScriptOptions): Promise<ScriptRun> {
  const child = await spawnScript(root, options);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The `key=value` fields of a run's `summary:` line. */
export function parseSummaryLine(stdout: string): Record<string, string> {
  return parseFieldsLine(stdout, "summary");
}

/** The `key=value` fields of the first line of `stdout` that starts with `<label>: `. */
export function parseFieldsLine(stdout: string, label: string): Record<string, string> {
  const prefix = `${label}: `;
  const line = stdout.split("\n").find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no ${label} line in stdout: ${JSON.stringify(stdout)}`);
  const fields: Record<string, string> = {};
  for (const match of line.slice(prefix.length).matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    fields[match[1]] = match[2].startsWith('"') ? JSON.parse(match[2]) : match[2];
  }
  return fields;
}

/** The lines of a text file, without the empty string after the last newline. */
export async function fileLines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Waits until the file at `path` holds at least `atLeast` bytes (15 s at most). */
export async function waitForFileSize(path: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const size = await Deno.stat(path).then((s) => s.size, () => 0);
    if (size >= atLeast) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never reached ${atLeast} bytes`);
}
