import assert from "node:assert/strict";
import { join } from "node:path";
import { verifyCatalog } from "../../src/catalog/catalog_verify.ts";
import { openCatalogEngine } from "../../src/catalog/duckdb_engine.ts";
import { copyDir, standardCatalog } from "./catalog_fixtures.ts";
import { tempDir } from "../helpers/temp.ts";

/** A fresh copy of the shared built project, to tamper with. */
async function tamperable(): Promise<{ root: string; catalogDir: string; dataDir: string }> {
  const root = await tempDir("catalog-verify");
  await copyDir((await standardCatalog()).root, root);
  const dataDir = join(root, "data", "observer");
  return { root, dataDir, catalogDir: join(dataDir, "catalog") };
}

function verify(project: { root: string; catalogDir: string }) {
  return verifyCatalog({ root: project.root, catalogDir: project.catalogDir, threads: 1 });
}

Deno.test("verify: a freshly built catalog is whole", async () => {
  const result = await verify(await standardCatalog());
  assert.deepEqual(result.mismatches, []);
  assert.deepEqual(result.notes, []);
  assert.equal(result.partitions, 3);
  assert.equal(result.rows, 3516);
  assert.equal(result.sources, 3);
});

Deno.test("verify: one flipped byte in a Parquet file is named", async () => {
  const project = await tamperable();
  const file = join(project.catalogDir, "date=2026-01-28", "part-0.parquet");
  const bytes = await Deno.readFile(file);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  await Deno.writeFile(file, bytes);
  const { mismatches } = await verify(project);
  assert.ok(mismatches.length > 0);
  assert.ok(
    mismatches.some((m) => m.startsWith("date=2026-01-28/part-0.parquet: sha256 ")),
    mismatches.join("\n"),
  );
  assert.ok(mismatches.every((m) => m.startsWith("date=2026-01-28")), mismatches.join("\n"));
});

Deno.test("verify: a deleted partition is named, with the source rows it should hold", async () => {
  const project = await tamperable();
  await Deno.remove(join(project.catalogDir, "date=2026-01-26"), { recursive: true });
  const { mismatches } = await verify(project);
  assert.deepEqual(mismatches, [
    "date=2026-01-26: missing (listed in _catalog.json with 1512 rows)",
    "date=2026-01-26: 1512 rows expected from the sources, none readable in the catalog",
  ]);
});

Deno.test("verify: a source file truncated after the build is named, and the rows it no longer backs", async () => {
  const project = await tamperable();
  const file = join(project.dataDir, "sim.jsonl");
  const text = await Deno.readTextFile(file);
  const lines = text.split("\n");
  await Deno.writeTextFile(file, lines.slice(0, 1990).join("\n") + "\n");
  const { mismatches } = await verify(project);
  const truncated = mismatches.find((m) =>
    m.startsWith("source data/observer/sim.jsonl: truncated")
  );
  assert.ok(truncated, mismatches.join("\n"));
  assert.ok(
    mismatches.some((m) => m.startsWith("date=2026-01-28: 10 rows not in the source records")),
    mismatches.join("\n"),
  );
});

Deno.test("verify: a duplicated row is named by its run_id", async () => {
  const project = await tamperable();
  const dir = join(project.catalogDir, "date=2026-01-27");
  const file = join(dir, "part-0.parquet");
  {
    using engine = await openCatalogEngine({ allowedDir: project.catalogDir, threads: 1 });
    await engine.connection.run(
      `COPY (SELECT * FROM read_parquet('${file}', hive_partitioning = false)
             UNION ALL SELECT * FROM read_parquet('${file}', hive_partitioning = false)
               WHERE run_id = 'special-1')
       TO '${dir}/dup.parquet' (FORMAT parquet)`,
    );
  }
  await Deno.rename(join(dir, "dup.parquet"), file);
  const { mismatches } = await verify(project);
  assert.ok(
    mismatches.includes(
      "date=2026-01-27: run_id special-1 appears 2 times (a duplicated row)",
    ),
    mismatches.join("\n"),
  );
  assert.ok(mismatches.includes("date=2026-01-27: 5 rows, manifest says 4"), mismatches.join("\n"));
  assert.ok(
    mismatches.includes("date=2026-01-27: 1 rows not in the source records (run_id special-1)"),
    mismatches.join("\n"),
  );
});

Deno.test("verify: a value changed in a row is named with its column", async () => {
  const project = await tamperable();
  const dir = join(project.catalogDir, "date=2026-01-27");
  const file = join(dir, "part-0.parquet");
  {
    using engine = await openCatalogEngine({ allowedDir: project.catalogDir, threads: 1 });
    await engine.connection.run(
      `COPY (SELECT * REPLACE (CASE WHEN run_id = 'special-0' THEN 1.0 ELSE price END AS price)
             FROM read_parquet('${file}', hive_partitioning = false))
       TO '${dir}/edit.parquet' (FORMAT parquet)`,
    );
  }
  await Deno.rename(join(dir, "edit.parquet"), file);
  const { mismatches } = await verify(project);
  assert.ok(
    mismatches.includes(
      "date=2026-01-27: 1 rows differ from their source records: special-0 (price)",
    ),
    mismatches.join("\n"),
  );
});
