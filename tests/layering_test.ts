/**
 * The layers of src/: every import points down (or stays in its folder). The order is written
 * down in docs/architecture.md; a new import that points up, or a new folder without a layer,
 * fails here (and in `deno task check`, which runs this file).
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { PROJECT_ROOT } from "./helpers/project.ts";

/** Each folder of src/ (and `(root)` for files directly in it) with its layer, lowest first. */
const LAYERS: Readonly<Record<string, number>> = {
  io: 0,
  "(root)": 1,
  log: 1,
  contract: 1,
  records: 2,
  client: 2,
  sinks: 3,
  bus: 4,
  nats: 4,
  follow: 4,
  observer: 5,
  config: 5,
  catalog: 5,
  sources: 6,
  parallel: 7,
  runtime: 7,
  app: 8,
  report: 9,
  server: 10,
  cli: 11,
  // src/mod.ts: the public library surface re-exports from below and nothing imports it.
  "(surface)": 12,
};

const SRC = join(PROJECT_ROOT, "src");
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

function folderOf(path: string): string {
  const rel = relative(SRC, path);
  if (rel === "mod.ts") return "(surface)";
  return rel.includes("/") ? rel.split("/")[0] : "(root)";
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|js|mjs)$/.test(entry.name)) yield path;
  }
}

Deno.test("layers: every import in src/ points to a lower layer or stays in its folder", async () => {
  const upward: string[] = [];
  const unknown = new Set<string>();
  for await (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (!(from in LAYERS)) unknown.add(from);
    const text = await Deno.readTextFile(file);
    // Imports in doc examples (` * import …`) are examples, not dependencies.
    const code = text.split("\n").filter((line) => !/^\s*\*/.test(line)).join("\n");
    for (const match of code.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), match[1]));
      if (!target.startsWith(SRC)) continue;
      const to = folderOf(target);
      if (to === from) continue;
      if (!(to in LAYERS)) unknown.add(to);
      if (LAYERS[to] >= LAYERS[from]) {
        upward.push(
          `${relative(SRC, file)} imports ${relative(SRC, target)} (${from} ${
            LAYERS[from]
          } -> ${to} ${LAYERS[to]})`,
        );
      }
    }
  }
  assert.deepEqual([...unknown], [], "every folder of src/ has a layer (docs/architecture.md)");
  assert.deepEqual(upward, [], "imports point down");
});
