/**
 * Profiles a running Deno process through its inspector (the Chrome DevTools protocol): starts
 * V8's sampling profiler, lets a process started with `--inspect-wait` run, stops after the
 * given seconds, writes the profile (open it in Chrome DevTools' Performance panel) and prints
 * the functions with the most self time. `--v8-flags=--prof` does not serve here: Node's
 * `--prof-process` cannot attribute Deno's JavaScript ticks.
 *
 *   deno run --inspect-wait=127.0.0.1:9339 <the task's flags> observer.ts follow --config c.json &
 *   deno run --allow-net=127.0.0.1 --allow-write=. tools/cpu_profile.ts 9339 4 follow.cpuprofile
 *
 * Only the main thread is profiled (a worker is a target of its own). Idle time is counted as
 * `(idle)`: start the load while the profile runs.
 *
 * @module
 */

/** One node of a `.cpuprofile`. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

/** A `.cpuprofile` (the part read here). */
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

/** The `top` functions by self time: `[share, "name file:line"]`, largest first. */
export function selfTimes(profile: CpuProfile, top: number): [number, string][] {
  const names = new Map<number, string>();
  for (const { id, callFrame: f } of profile.nodes) {
    names.set(id, `${f.functionName || "(anonymous)"} ${f.url.split("/").at(-1)}:${f.lineNumber}`);
  }
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const name = names.get(id) ?? "(unknown)";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]): [number, string] => [n / profile.samples.length, name])
    .sort((a, b) => b[0] - a[0]).slice(0, top);
}

/** The inspector targets on `port`, waiting up to 10 s for the inspector to listen. */
async function inspectorTargets(port: number): Promise<{ webSocketDebuggerUrl: string }[]> {
  for (let waited = 0;; waited += 100) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    } catch (error) {
      if (waited >= 10_000) throw new Error(`no inspector on 127.0.0.1:${port}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Profiles the process whose inspector listens on `port` for `seconds`; its profile. */
async function profile(port: number, seconds: number): Promise<CpuProfile> {
  const targets = await inspectorTargets(port);
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const waiting = new Map<number, (result: Record<string, unknown>) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  };
  let next = 0;
  const call = (method: string, params = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      waiting.set(++next, resolve);
      socket.send(JSON.stringify({ id: next, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  await call("Runtime.runIfWaitingForDebugger");
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { profile } = await call("Profiler.stop");
  socket.close();
  return profile as CpuProfile;
}

if (import.meta.main) {
  const [port, seconds, out] = Deno.args;
  if (out === undefined) {
    console.error("usage: cpu_profile.ts <inspector port> <seconds> <out.cpuprofile>");
    Deno.exit(2);
  }
  const result = await profile(Number(port), Number(seconds));
  await Deno.writeTextFile(out, JSON.stringify(result));
  for (const [share, name] of selfTimes(result, 30)) {
    console.log(`${(100 * share).toFixed(1).padStart(5)} %  ${name}`);
  }
}
