/**
 * The action of `observer.ts merge`: record files into one new record file under
 * `data/observer`, ordered by event time and `run_id`, duplicates by `run_id` dropped.
 *
 * @module
 */

import { dirname } from "node:path";
import {
  getObserverLogger,
  type LogLevelName,
  setupLogging,
  teardownLogging,
} from "../../log/logging.ts";
import { checkUserRecordFileName, recordFilePath } from "../../paths.ts";
import type { RecordInput } from "../../records/record_reader.ts";
import { mergeRecordFiles } from "../../records/merge.ts";
import { JsonlFileSink } from "../../sinks/jsonl_file_sink.ts";
import { EXIT_INCOMPLETE, EXIT_OK } from "../exit_codes.ts";
import { reportBadLine, writeAllSync } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import type { MergeFlags } from "./command_flags.ts";
import { inputsOrFail } from "./read_inputs.ts";

/** What {@linkcode mergeIntoFile} needs. */
export interface MergeCommandOptions {
  /** Project root; the output goes to `<root>/data/observer/<file>`. */
  readonly root: string;
  /** Output file name (a new one). */
  readonly file: string;
  /** Inputs, resolved and checked readable (standard input among them, at most once). */
  readonly inputs: readonly RecordInput[];
  /** Longest line read. */
  readonly maxLineBytes: number;
  /** `--log-level`. */
  readonly logLevel: LogLevelName;
}

/** Runs `merge` with its inputs and parsed flags; returns the exit code. */
export async function runMerge(
  files: readonly string[],
  flags: MergeFlags,
  context: CommandContext,
): Promise<number> {
  const inputs = await inputsOrFail(context, files, { stdin: true });
  if (typeof inputs === "number") return inputs;
  return await mergeIntoFile({
    root: context.root,
    file: flags.file,
    inputs: inputs.inputs,
    maxLineBytes: flags.maxLineBytes,
    logLevel: flags.logLevel,
  }, context);
}

/**
 * Merges and prints `summary: merged=... duplicates=... runs=... bad_lines=... file=...`;
 * returns 0, 1 when some input lines were not records, 2 when the output exists or the inputs
 * are too disordered (nothing written then).
 */
export async function mergeIntoFile(
  options: MergeCommandOptions,
  context: CommandContext,
): Promise<number> {
  let out: string;
  try {
    out = recordFilePath(options.root, checkUserRecordFileName(options.file));
    if ((await Deno.stat(out).then((s) => s.size, () => 0)) > 0) {
      throw new Error(
        `${out} already exists: merge writes a new record file; choose another --file`,
      );
    }
  } catch (error) {
    return fail(context, errorMessage(error));
  }
  await setupLogging({ level: options.logLevel, write: (l) => writeAllSync(context.stderr, l) });
  let sink: JsonlFileSink<unknown> | undefined;
  try {
    await using inputs = await rereadableInputs(options.inputs, dirname(out));
    const result = await mergeRecordFiles(inputs.inputs, {
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
    for (const bad of result.badLines.slice(0, 20)) reportBadLine(bad);
    writeAllSync(
      context.stdout,
      `summary: merged=${result.merged} duplicates=${result.duplicates} runs=${result.runs} ` +
        `bad_lines=${result.badLines.length} not_written=${failed} file=${out}\n`,
    );
    return result.badLines.length + failed === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } catch (error) {
    await sink?.close();
    return fail(context, errorMessage(error));
  } finally {
    await teardownLogging();
  }
}

/** Inputs that can each be read twice; disposing removes the copies made for that. */
interface RereadableInputs extends AsyncDisposable {
  /** The inputs, in order: files as given, standard input as its copy. */
  readonly inputs: RecordInput[];
}

/**
 * `inputs` made readable twice, as merge reads them (once to find the sorted stretches, once to
 * merge them): standard input is first copied to a hidden file in `dir` (beside the output,
 * `.merge-stdin-*.tmp`), removed when the result is disposed.
 */
async function rereadableInputs(
  inputs: readonly RecordInput[],
  dir: string,
): Promise<RereadableInputs> {
  const copies: string[] = [];
  const dispose = async () => {
    for (const copy of copies) await Deno.remove(copy).catch(() => {});
  };
  try {
    const result: RecordInput[] = [];
    for (const input of inputs) {
      if (typeof input === "string") {
        result.push(input);
        continue;
      }
      await Deno.mkdir(dir, { recursive: true });
      const copy = await Deno.makeTempFile({ dir, prefix: ".merge-stdin-", suffix: ".tmp" });
      copies.push(copy);
      using opened = await input.open();
      const file = await Deno.open(copy, { write: true });
      await opened.readable.pipeTo(file.writable);
      result.push({ name: input.name, open: () => Deno.open(copy) });
    }
    return { inputs: result, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
