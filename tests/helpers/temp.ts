/**
 * Temporary directories for tests: every one is removed when the test process ends (also after
 * a failed test), so a run leaves nothing behind in the system's temp directory.
 *
 * @module
 */

const created = new Set<string>();

globalThis.addEventListener("unload", () => {
  for (const path of created) {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch {
      // Already gone, or a mount point a failed test left mounted: nothing more to do here.
    }
  }
});

/** A fresh temporary directory (`qts-<prefix>-…`), removed when the test process ends. */
export async function tempDir(prefix = "test"): Promise<string> {
  const path = await Deno.makeTempDir({ prefix: `qts-${prefix}-` });
  created.add(path);
  return path;
}

/** Removes a temporary directory now (big ones need not wait for the end of the run). */
export async function removeTempDir(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch(() => {});
  created.delete(path);
}

/** True when the tests run as root (mounting filesystems, installing packages). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}
