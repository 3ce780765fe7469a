/**
 * A real full disk for tests: a tmpfs mounted on a directory, filled until ENOSPC, then given
 * room again. Mounting needs root (CI and the development machines run tests as root); a test
 * that needs it says why it did not run elsewhere.
 *
 * @module
 */

import { join } from "node:path";
import { tempDir } from "./temp.ts";

/** Runs a command; its success and its stderr (or why it could not run). */
export async function command(cmd: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output()
    .catch((e) => ({
      success: false,
      stdout: new Uint8Array(),
      stderr: new TextEncoder().encode(String(e)),
    }));
  return { ok: out.success, text: new TextDecoder().decode(out.stderr) };
}

/** Fills the filesystem of `dir` with one file until ENOSPC; returns the file. */
export async function fill(dir: string): Promise<string> {
  const filler = join(dir, "filler.bin");
  using file = await Deno.open(filler, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    while (true) await file.write(chunk);
  } catch (error) {
    if (!String(error).includes("No space left")) throw error;
  }
  return filler;
}

/** True when this process may mount a tmpfs (tried once on a scratch directory). */
export async function canMountTmpfs(): Promise<boolean> {
  const probe = await tempDir();
  return (await command("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe])).ok &&
    (await command("umount", [probe])).ok;
}

/** Mounts a tmpfs of `size` (e.g. `512k`) on `dir`; throws with mount's message when it cannot. */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  const mounted = await command("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  if (!mounted.ok) throw new Error(`mount tmpfs on ${dir}: ${mounted.text}`);
}

/** Unmounts `dir` (a test's `finally`). */
export async function unmount(dir: string): Promise<void> {
  await command("umount", [dir]);
}
