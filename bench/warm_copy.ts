/**
 * Project copies for benches, one per kind of run, made and warmed on first use and reused by
 * every later run of that kind (removed when the bench exits). Deno compiles a module once per
 * path and keeps it in its cache, so a user's second start of a checkout loads compiled code;
 * a fresh copy per measured run would add the compilation of every module the run loads (about
 * 0.1 s for `--input`, more for `serve`) to each run, and more to the contestant with more
 * modules.
 *
 * @module
 */

import { copyProject, observerDir } from "../tests/helpers/project.ts";

/** The copies by kind: temporary directories, removed at exit by `tests/helpers/temp.ts`. */
const copies = new Map<string, Promise<string>>();

/**
 * The copy for runs of `kind`: made and warmed (`warm` runs once in it, untimed) on first use.
 * Its `data/observer` is emptied before it is returned, so a run starts as in a fresh copy.
 */
export async function warmCopy(
  kind: string,
  warm: (root: string) => Promise<void>,
): Promise<string> {
  let copy = copies.get(kind);
  if (copy === undefined) {
    copy = copyProject().then(async (root) => {
      await warm(root);
      return root;
    });
    copies.set(kind, copy);
  }
  const root = await copy;
  await Deno.remove(observerDir(root), { recursive: true }).catch(() => {});
  await Deno.mkdir(observerDir(root), { recursive: true });
  return root;
}
