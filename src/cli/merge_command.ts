/**
 * `observer.ts merge`: record files into one new record file under `data/observer`, ordered by
 * event time and `run_id`, duplicates by `run_id` dropped (see `records/merge.ts`).
 *
 * @module
 */

import { getObserverLogger, setupLogging, teardownLogging } from "../log/logging.ts";
import { checkUserRecordFileName, recordFilePath } from "../paths.ts";
import { mergeRecordFiles } from "../records/merge.ts";
import { JsonlFileSink } from "../sinks/jsonl_file_sink.ts";
import { printable } from "../io/printable.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./options.ts";
import type { LogLevelName } from "../log/logging.ts";
import { writeAllSync } from "./stdio.ts";

/** What `merge` needs. */
export interface MergeCommandOptions {
  /** Project root; the output goes to `<root>/data/observer/<file>`. */
  readonly root: string;
  /** Output file name (a new one). */
  readonly file: string;
  /** Inputs, resolved and checked readable. */
  readonly paths: readonly string[];
  /** Longest line read. */
  readonly maxLineBytes: number;
  /** `--log-level`. */
  readonly logLevel: LogLevelName;
}

/**
 * Merges and prints `summary: merged=... duplicates=... runs=... bad_lines=... file=...`;
 * returns 0, 1 when some input lines were not records, 2 when the output exists or the inputs
 * are too disordered (nothing written then).
 */
export async function runMergeCommand(options: MergeCommandOptions): Promise<number> {
  let out: string;
  try {
    out = recordFilePath(options.root, checkUserRecordFileName(options.file));
    if ((await Deno.stat(out).then((s) => s.size, () => 0)) > 0) {
      throw new Error(
        `${out} already exists: merge writes a new record file; choose another --file`,
      );
    }
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_USAGE;
  }
  await setupLogging({ level: options.logLevel, write: (l) => writeAllSync(Deno.stderr, l) });
  let sink: JsonlFileSink<unknown> | undefined;
  try {
    const result = await mergeRecordFiles(options.paths, {
      maxLineBytes: options.maxLineBytes,
      write: async (line) => {
        sink ??= await JsonlFileSink.open<unknown>({
          root: options.root,
          fileName: options.file,
          logger: getObserverLogger("merge"),
        });
        return sink.writeLine(line);
      },
    });
    await sink?.close();
    const failed = sink === undefined ? 0 : sink.stats().failed;
    for (const bad of result.badLines.slice(0, 20)) {
      writeAllSync(Deno.stderr, printable(`${bad.file}:${bad.line}: ${bad.reason}`, 2000) + "\n");
    }
    writeAllSync(
      Deno.stdout,
      `summary: merged=${result.merged} duplicates=${result.duplicates} runs=${result.runs} ` +
        `bad_lines=${result.badLines.length} not_written=${failed} file=${out}\n`,
    );
    return result.badLines.length + failed === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } catch (error) {
    await sink?.close();
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_USAGE;
  } finally {
    await teardownLogging();
  }
}
