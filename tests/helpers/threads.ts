/**
 * The threads of a running process as Linux shows them in `/proc`: for tests of what runs on which
 * thread, at what priority.
 *
 * @module
 */

/** One thread: its id, its name (`comm`, e.g. `worker-1`) and its nice value. */
export interface ThreadInfo {
  readonly tid: number;
  readonly name: string;
  readonly nice: number;
}

/** The threads of process `pid` (Linux only). */
export function processThreads(pid: number): ThreadInfo[] {
  const threads: ThreadInfo[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/task/${entry.name}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    threads.push({
      tid: Number(entry.name),
      name: stat.slice(stat.indexOf("(") + 1, close),
      nice: Number(fields[16]),
    });
  }
  return threads;
}
