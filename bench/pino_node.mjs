// The same job on Node.js with pino: read snapshot lines, parse each, build the record inline,
// log it through pino's asynchronous destination (sonic-boom) into a file, with the same 4 MiB
// bound as the Observer's queue. Run from a directory where `pino` is installed:
//   node pino_node.mjs <input> <output> <file URL of inline_record.mjs>
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import pino from "pino";

const [input, output, recordModule] = process.argv.slice(2);
const { inlineRecord } = await import(recordModule);
const destination = pino.destination({ dest: output, sync: false, minLength: 4096 });
const log = pino({ base: undefined, timestamp: false }, destination);
const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
for await (const line of lines) {
  if (line.length === 0) continue;
  log.info(inlineRecord(JSON.parse(line), new Date().toISOString()));
  if (destination._len > 4 * 1024 * 1024) {
    await new Promise((resolve) => destination.once("drain", resolve));
  }
}
await new Promise((resolve, reject) =>
  destination.flush((error) => error ? reject(error) : resolve())
);
destination.end();
await new Promise((resolve) => destination.once("close", resolve));
