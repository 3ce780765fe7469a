/**
 * The single-thread practical limit as a whole process: reads snapshot lines, parses each
 * (JSON.parse), builds the record inline, stringifies it and writes 1 MiB chunks.
 *
 * Usage: deno run --allow-read --allow-write bench/limit_script.ts <input> <output>
 *
 * @module
 */

import { readLines } from "../src/io/line_reader.ts";
import { inlineRecord } from "./inline_record.mjs";
import { LineChunkWriter } from "./line_chunk_writer.ts";

const [input, output] = Deno.args;
using source = await Deno.open(input);
using file = await Deno.open(output, { write: true, create: true, truncate: true });
const out = new LineChunkWriter(file);
for await (const line of readLines(source.readable)) {
  if (line.text.length === 0) continue;
  await out.add(JSON.stringify(inlineRecord(JSON.parse(line.text), new Date().toISOString())));
}
await out.finish();
