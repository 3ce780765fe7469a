/**
 * Makes the end-to-end tests count in `deno task coverage`: those tests run the entry scripts in
 * copies of the project (`qts-root-*` temporary directories, see tests/helpers/project.ts), and a
 * child `deno run` records its coverage (Deno passes `DENO_COVERAGE_DIR` down) under the copy's
 * paths. This rewrites each such profile's URL to the same file of the project, so
 * `deno coverage` merges it with the in-process tests' profiles.
 *
 *   deno run --allow-read=. --allow-write=./coverage tools/coverage_paths.ts coverage
 *
 * @module
 */

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The project file a copy's URL stands for: `src/x.ts` of `file:///tmp/qts-root-1a2b/src/x.ts`. */
const COPY_URL = /^file:\/\/.*\/qts-root-[^/]+\/((?:src\/|main\.ts$|observer\.ts$).*)$/;

/**
 * The project's own URL for a profile recorded in a copy of it (the tests copy the project's
 * files as they are when the suite runs), or undefined when `url` is not in a copy or names a
 * file the project does not have.
 */
export async function projectUrl(url: string, root: string): Promise<string | undefined> {
  const match = COPY_URL.exec(url);
  if (match === null) return undefined;
  const original = join(root, decodeURIComponent(match[1]));
  const exists = await Deno.stat(original).then((info) => info.isFile, () => false);
  return exists ? pathToFileURL(original).href : undefined;
}

/** Rewrites the profiles under `dir`; returns how many were moved to the project's files. */
export async function rewriteCoverage(dir: string, root: string): Promise<number> {
  let moved = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const path = join(dir, entry.name);
    const profile = JSON.parse(await Deno.readTextFile(path));
    if (typeof profile?.url !== "string") continue;
    const url = await projectUrl(profile.url, root);
    if (url === undefined) continue;
    profile.url = url;
    await Deno.writeTextFile(path, JSON.stringify(profile));
    moved++;
  }
  return moved;
}

if (import.meta.main) {
  const [dir] = Deno.args;
  if (dir === undefined) {
    console.error("usage: tools/coverage_paths.ts <coverage directory>");
    Deno.exit(2);
  }
  const root = resolve(import.meta.dirname ?? ".", "..");
  const moved = await rewriteCoverage(resolve(dir), root);
  console.error(`coverage: ${moved} profile(s) of end-to-end runs counted for the project's files`);
}
