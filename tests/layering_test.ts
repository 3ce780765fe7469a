/**
 * The layers of src/: every import points down (or stays in its folder), and no file reaches
 * itself through its imports (type-only and dynamic ones included). The order is written down in
 * docs/architecture.md; a new import that points up, a new folder without a layer, or a cycle
 * between files fails here (and in `deno task check`, which runs this file).
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

/** The src/ files `file` imports (relative specifiers; imports in doc examples left out). */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file);
  // Imports in doc examples (` * import …`) are examples, not dependencies.
  const code = text.split("\n").filter((line) => !/^\s*\*/.test(line)).join("\n");
  return [...code.matchAll(IMPORT)]
    .map((match) => normalize(join(dirname(file), match[1])))
    .filter((target) => target.startsWith(SRC));
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
    for (const target of await importsOf(file)) {
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

Deno.test("layers: no file of src/ reaches itself through its imports (no file cycle)", async () => {
  const graph = new Map<string, string[]>();
  for await (const file of sourceFiles(SRC)) graph.set(file, await importsOf(file));
  // Depth-first search; a file met again while still on the path closes a cycle.
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const cycle = [...path.slice(path.indexOf(next)), file, next];
        cycles.push(cycle.map((f) => relative(SRC, f)).join(" -> "));
      } else if (!state.has(next)) visit(next, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
  assert.deepEqual(cycles, [], "no file imports itself through others");
});
