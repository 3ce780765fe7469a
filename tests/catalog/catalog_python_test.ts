/**
 * The catalog read back by the tools researchers use — pyarrow, pandas, polars and DuckDB's
 * Python package — with every value compared to what Python's `json.loads` reads from the
 * record lines. A reader that is not installed is skipped with a printed reason (CI installs
 * them, see .ci/run).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { standardCatalog } from "./catalog_fixtures.ts";

const COMPARE = String.raw`
import json, sys, datetime, math

catalog, files = sys.argv[1], sys.argv[2:]
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

def num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

def first(*vs):
    for v in vs:
        n = num(v)
        if n is not None:
            return n
    return None

def expected_rows():
    rows = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                r = json.loads(line)
                s, md = r["snapshot"], r["metadata"]
                meta, ctx, obs = s["meta"], s["context"], s["observation"]
                inp = obs["inputs"]
                nested = inp.get("price") if isinstance(inp.get("price"), dict) else {}
                q, it = md.get("_quality"), md.get("_interpretation")
                rows[meta["run_id"]] = {
                    "event_time": meta["timestamp_ms"],
                    "timestamp_ms": meta["timestamp_ms"],
                    "run_id": meta["run_id"], "session_id": meta["session_id"],
                    "mode": meta["mode"], "source": ctx["source"], "stage": ctx["stage"],
                    "symbol": ctx.get("symbol"), "market": ctx.get("market"),
                    "guard_action": md["guard"]["action"], "guard_reason": md["guard"]["reason"],
                    "price": first(inp.get("price"), nested.get("close")),
                    "open": first(inp.get("open"), nested.get("open")),
                    "high": first(inp.get("high"), nested.get("high")),
                    "low": first(inp.get("low"), nested.get("low")),
                    "close": first(inp.get("close"), nested.get("close")),
                    "volume": num(inp.get("volume")),
                    "bid": first(inp.get("bid"), inp.get("bid_price")),
                    "ask": first(inp.get("ask"), inp.get("ask_price")),
                    "quality_flags": q["flags"] if q is not None else None,
                    "hints": it["hints"] if it is not None else None,
                    "inputs_json": obs["inputs"], "computed_json": obs["computed"],
                    "state_json": obs["state"],
                    "record_line": line, "source_line": i,
                    "date": datetime.datetime.fromtimestamp(meta["timestamp_ms"] / 1000, UTC).date().isoformat(),
                }
    return rows

def same(a, b):
    """Equal with JSON types kept: 1 and 1.0 differ, as json.loads tells them apart."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and a == 0.0:
        return math.copysign(1, a) == math.copysign(1, b)
    return a == b

def ms_of(v):
    if v is None:
        return None
    if hasattr(v, "value") and hasattr(v, "tz_convert"):  # pandas Timestamp
        assert str(v.tz) == "UTC", v.tz
        return v.value // 1_000_000
    assert v.tzinfo is not None and v.utcoffset() == datetime.timedelta(0), v
    return (v - EPOCH) // datetime.timedelta(milliseconds=1)

def plain(v):
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v

def check(reader, got_rows, expected):
    problems = []
    assert len(got_rows) == len(expected), f"{reader}: {len(got_rows)} rows, expected {len(expected)}"
    seen = set()
    for row in got_rows:
        rid = row["run_id"]
        assert rid not in seen, f"{reader}: run_id {rid} twice"
        seen.add(rid)
        exp = expected[rid]
        for col, want in exp.items():
            if col not in row:
                if col == "date":
                    continue
                problems.append(f"{rid}: column {col} missing")
                continue
            got = plain(row[col])
            if col == "event_time":
                got = ms_of(row[col])
            elif col == "date":
                got = got.isoformat() if hasattr(got, "isoformat") else str(got)
            elif col.endswith("_json"):
                got = json.loads(got)
            elif col in ("quality_flags", "hints") and got is not None:
                got = list(got)
            if col in ("timestamp_ms", "source_line", "event_time") and got is not None:
                got = int(got)
            ok = same(got, want) if col.endswith("_json") else (
                (got is None and want is None) or (got == want and type(got) is type(want)))
            if not ok:
                problems.append(f"{rid}: {col} = {got!r}, json.loads says {want!r}")
        if row.get("source_file") is None or not isinstance(row["source_file"], str):
            problems.append(f"{rid}: source_file {row.get('source_file')!r}")
    if problems:
        raise AssertionError(f"{reader}: {len(problems)} differences, first: " + "; ".join(problems[:10]))
    print(f"{reader}: {len(got_rows)} rows equal")

expected = expected_rows()
readers = sys.stdin.read().split()
pattern = f"{catalog}/date=*/part-0.parquet"
for reader in readers:
    if reader == "pyarrow":
        import pyarrow.dataset as ds
        table = ds.dataset(catalog, format="parquet", partitioning="hive").to_table()
        assert str(table.schema.field("event_time").type) == "timestamp[us, tz=UTC]", table.schema
        check("pyarrow", table.to_pylist(), expected)
    elif reader == "pandas":
        import pandas as pd
        frame = pd.read_parquet(catalog)
        check("pandas", frame.to_dict("records"), expected)
    elif reader == "polars":
        import polars as pl
        frame = pl.read_parquet(pattern, hive_partitioning=True)
        check("polars", frame.to_dicts(), expected)
    elif reader == "duckdb":
        import duckdb
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        rel = con.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)")
        cols = rel.columns
        check("duckdb", [dict(zip(cols, r)) for r in rel.fetchall()], expected)
`;

/** Which of the readers python3 can import, and why each other one cannot be used. */
async function availableReaders(): Promise<{ readers: string[]; skipped: string[] }> {
  const skipped: string[] = [];
  const readers: string[] = [];
  for (
    const [name, module] of [
      ["pyarrow", "pyarrow.dataset"],
      ["pandas", "pandas"],
      ["polars", "polars"],
      ["duckdb", "duckdb, pytz"],
    ]
  ) {
    let ok = false;
    try {
      const out = await new Deno.Command("python3", {
        args: ["-c", `import ${module}`],
        stdout: "null",
        stderr: "null",
      }).output();
      ok = out.success;
    } catch (error) {
      skipped.push(`${name}: python3 not runnable (${error})`);
      continue;
    }
    if (ok) readers.push(name);
    else {skipped.push(
        `${name}: not installed (pip install ${module.replace(".dataset", "").replace(", ", " ")})`,
      );}
  }
  return { readers, skipped };
}

Deno.test("catalog read back by pyarrow, pandas, polars and DuckDB equals json.loads of the JSONL", async () => {
  const { readers, skipped } = await availableReaders();
  for (const reason of skipped) console.log(`skipped reader ${reason}`);
  if (readers.length === 0) {
    console.log("skipped: no Python Parquet reader installed");
    return;
  }
  const project = await standardCatalog();
  const files = ["kis.jsonl", "sim.jsonl", "special.jsonl"].map((f) => join(project.dataDir, f));
  const child = new Deno.Command("python3", {
    args: ["-c", COMPARE, project.catalogDir, ...files],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(readers.join(" ")));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `python comparison failed:\n${stdout}\n${stderr}`);
  for (const reader of readers) {
    assert.match(stdout, new RegExp(`^${reader}: 3516 rows equal$`, "m"), stdout);
  }
});
