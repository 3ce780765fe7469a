/**
 * Record files for the catalog tests: the KIS fixture day as the Observer records it (replayed
 * with each snapshot's own time), a simulated market session, and a few records with values
 * that are easy to get wrong (integers beyond 2^53, `751000.0`, nulls, non-ASCII, a nested
 * OHLC price, no symbol).
 *
 * @module
 */

import { join } from "node:path";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import type { ObservationSnapshot } from "../../src/contract/snapshot.ts";
import { enrichRecord } from "../../src/observer/enrich.ts";
import { sessionSnapshots } from "../../src/runtime/qts_runtime.ts";
import { kisSwingSnapshot } from "../../src/sources/kis_swing.ts";
import { buildCatalog, type BuildResult } from "../../src/catalog/catalog_build.ts";
import { digestFile } from "../../src/catalog/source_scan.ts";
import { fixture } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

/** A record line as the Observer writes it (generated_at: the snapshot's time). */
export function recordLineOf(snapshot: ObservationSnapshot): string {
  const record = buildPatternRecord(snapshot, DEFAULT_RECORD_STAMP, snapshot.meta.timestamp);
  return JSON.stringify(enrichRecord(record, DEFAULT_RECORD_STAMP));
}

/** The KIS fixture day (1,512 records, 2026-01-26) as record lines. */
export async function kisRecordLines(): Promise<string[]> {
  const text = await Deno.readTextFile(fixture("kis-swing-20260126.jsonl"));
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const parsed = kisSwingSnapshot(JSON.parse(line));
    if (!parsed.ok) throw new Error(`fixture line not a KIS line: ${line}`);
    return recordLineOf(parsed.snapshot);
  });
}

/** A simulated session: `ticks` ticks of 4 symbols, one second apart, from `startMs`. */
export function simulatedRecordLines(ticks: number, startMs: number, seed = 7): string[] {
  const lines: string[] = [];
  for (
    const s of sessionSnapshots({
      symbols: ["005930", "000660", "035420", "051910"],
      ticks,
      seed,
      startMs,
      sessionId: `sim-${seed}`,
      mode: "DEV",
    })
  ) lines.push(recordLineOf(s));
  return lines;
}

const SPECIAL_META = (i: number, ms: number) =>
  `"meta": {"timestamp": "${new Date(ms).toISOString()}", "timestamp_ms": ${ms}, ` +
  `"session_id": "special", "run_id": "special-${i}", "mode": "PROD", "observer_version": "v1.0.0"}`;

const SPECIAL_METADATA =
  `"regime_tags": {}, "condition_tags": [], "outcome_labels": {}, "metadata": {"schema_version": ` +
  `"v1.0.0", "dataset_version": "v1.0.0", "build_id": "observer_core_v1", "generated_at": ` +
  `"2026-01-27T00:00:00.000+00:00", "session_id": "special", "mode": "PROD", "quality_flags": [], ` +
  `"validation": {"severity": "INFO"}, "guard": {"action": "PASS", "reason": "OK"}}`;

/**
 * Records in Python's spacing (`", "`, `": "`) whose values are easy to get wrong; no
 * `_quality`/`_interpretation` blocks (as old Python records), so those columns are null.
 */
export function specialRecordLines(): string[] {
  const base = Date.UTC(2026, 0, 27, 1, 0, 0);
  const bodies = [
    `"context": {"source": "market", "stage": "raw", "symbol": "005930", "market": "KRX"}, ` +
    `"observation": {"inputs": {"price": 751000.0, "volume": 9007199254740993, "bid": null, ` +
    `"ask": 12345678901234567890}, "computed": {"x": -0.0, "y": 1e5, "z": 1.5e-7}, ` +
    `"state": {"note": "삼성전자 — ok", "deep": {"a": [1, 2.50, null, true]}}}`,
    `"context": {"source": "market", "stage": "raw", "symbol": "삼성", "market": null}, ` +
    `"observation": {"inputs": {"price": {"open": 1, "high": 3, "low": 0.5, "close": 2}, ` +
    `"volume": 10, "bid_price": 1.5, "ask_price": 2.5}, "computed": {}, "state": {}}`,
    `"context": {"source": "system", "stage": "state"}, ` +
    `"observation": {"inputs": {}, "computed": {"price": "n/a"}, "state": {"ok": false}}`,
    `"context": {"source": "broker", "stage": "state", "symbol": "005930", "market": "KRX"}, ` +
    `"observation": {"inputs": {"price": "71000", "volume": true}, "computed": {}, ` +
    `"state": {"position": 10}}`,
  ];
  return bodies.map((body, i) =>
    `{"snapshot": {${SPECIAL_META(i, base + i * 90_000)}, ${body}}, ${SPECIAL_METADATA}}`
  );
}

/** Writes `lines` (each ending in a newline) to `path`. */
export async function writeLines(path: string, lines: readonly string[]): Promise<void> {
  await Deno.writeTextFile(path, lines.map((l) => l + "\n").join(""));
}

/** A project-like directory: `<root>/data/observer` with the given record files in it. */
export async function recordsProject(
  files: Record<string, readonly string[]>,
): Promise<{ root: string; dataDir: string; catalogDir: string }> {
  const root = await tempDir("catalog");
  const dataDir = join(root, "data", "observer");
  await Deno.mkdir(dataDir, { recursive: true });
  for (const [name, lines] of Object.entries(files)) await writeLines(join(dataDir, name), lines);
  return { root, dataDir, catalogDir: join(dataDir, "catalog") };
}

/** Builds the catalog of a {@linkcode recordsProject} from its whole `data/observer`. */
export function buildProject(
  project: { root: string; dataDir: string; catalogDir: string },
  inputs: readonly string[] = [project.dataDir],
): Promise<BuildResult> {
  return buildCatalog({ root: project.root, catalogDir: project.catalogDir, inputs, threads: 1 });
}

/** The KIS day and a 2,000-record simulated session on 2026-01-28, built once per process. */
let standard: Promise<{ root: string; dataDir: string; catalogDir: string }> | undefined;

/** Record files: `kis.jsonl`, `sim.jsonl`, `special.jsonl`. */
export async function standardFiles(): Promise<Record<string, string[]>> {
  return {
    "kis.jsonl": await kisRecordLines(),
    "sim.jsonl": simulatedRecordLines(500, Date.UTC(2026, 0, 28, 0, 0, 0)),
    "special.jsonl": specialRecordLines(),
  };
}

/** A project with {@linkcode standardFiles} and its catalog built (shared; do not modify). */
export function standardCatalog(): Promise<{ root: string; dataDir: string; catalogDir: string }> {
  standard ??= (async () => {
    const project = await recordsProject(await standardFiles());
    await buildProject(project);
    return project;
  })();
  return standard;
}

/** Copies a directory tree (a project, to tamper with its catalog). */
export async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const a = join(from, entry.name);
    const b = join(to, entry.name);
    if (entry.isDirectory) await copyDir(a, b);
    else await Deno.copyFile(a, b);
  }
}

/** Every file under `dir` with its SHA-256, by relative path (to compare two catalogs). */
export async function treeDigests(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) Object.assign(out, await treeDigests(path, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = (await digestFile(path)).sha256;
  }
  return out;
}
