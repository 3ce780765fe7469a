/**
 * A hostile mixed input for the parallel recording tests: good snapshot lines with bad ones
 * planted at known line numbers.
 *
 * @module
 */

import { fixture } from "./project.ts";
import { snapshotLine } from "./snapshot_file.ts";

const PYTHON_LINES = (await Deno.readTextFile(fixture("python-snapshots.jsonl")))
  .split("\n").filter((l) => l.length > 0);
const LONG_LINE = snapshotLine(7).replace('"price":', `"note":"${"z".repeat(100_000)}","price":`);

/** A bad line put into the mixed input, and what must become of it. */
export interface Planted {
  readonly line: number;
  readonly kind: "rejected" | "blocked";
  readonly text: string;
}

/**
 * `count` lines (40,000 are about 16 MB: some 60 chunks of 256 KiB): synthetic snapshots with,
 * every 997 lines, one of: the Python fixture lines in turn (NaN/Infinity tokens, non-ASCII), a
 * line that is not JSON, a JSON array, a NaN price, a blank line, a line over 65,536 bytes (run
 * with `--max-line-bytes 65536`). Returns the text, the bad lines and the count of good ones.
 */
export function mixedInput(count: number): { text: string; planted: Planted[]; good: number } {
  const lines: string[] = [];
  const planted: Planted[] = [];
  let good = 0;
  for (let i = 0; lines.length < count; i++) {
    const n = lines.length + 1;
    if (n % 997 !== 0) {
      lines.push(snapshotLine(i));
      good++;
      continue;
    }
    const k = (n / 997) % 6;
    if (k === 0) {
      const python = PYTHON_LINES[(n / 997 / 6) % PYTHON_LINES.length];
      lines.push(python);
      if (/NaN|Infinity/.test(python)) planted.push({ line: n, kind: "blocked", text: python });
      else good++;
    } else if (k === 1) {
      lines.push("not json: 한글 ✓");
      planted.push({ line: n, kind: "rejected", text: "not json: 한글 ✓" });
    } else if (k === 2) {
      lines.push("[1,2]");
      planted.push({ line: n, kind: "rejected", text: "[1,2]" });
    } else if (k === 3) {
      const blocked = snapshotLine(i).replace(/"price":\d+/, '"price":NaN');
      lines.push(blocked);
      planted.push({ line: n, kind: "blocked", text: blocked });
    } else if (k === 4) {
      lines.push("");
    } else {
      lines.push(LONG_LINE);
      planted.push({ line: n, kind: "rejected", text: "" });
    }
  }
  return { text: lines.join("\n") + "\n", planted, good };
}
