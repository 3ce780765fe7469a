/**
 * tools/cpu_profile.ts against a real process waiting for a debugger: it profiles the process,
 * writes a `.cpuprofile` and names the script the process spent its time in.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../helpers/project.ts";
import { collected } from "../helpers/collected.ts";
import { waitFor } from "../helpers/wait.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

Deno.test("cpu_profile: profiles a process started with --inspect-wait and names the script it spent its time in", async () => {
  const dir = await tempDir("cpu-profile");
  try {
    const script = join(dir, "busy.ts");
    await Deno.writeTextFile(
      script,
      `function spinForAWhile(): number {
        let x = 0;
        const end = Date.now() + 3000;
        while (Date.now() < end) x += Math.sqrt(x + 1);
        return x;
      }
      console.log(spinForAWhile() > 0);`,
    );
    // Port 0: the inspector takes a free port and says which (a port chosen here could be taken
    // by another process before it binds, and then it would wait for a debugger forever).
    const busy = new Deno.Command(Deno.execPath(), {
      args: ["run", "--inspect-wait=127.0.0.1:0", script],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = collected(busy.stderr);
    const listening = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//;
    await waitFor("the inspector's address", () => listening.test(stderr.now()));
    const port = Number(listening.exec(stderr.now())![1]);
    const out = join(dir, "busy.cpuprofile");
    const tool = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        `--allow-write=${dir}`,
        join(PROJECT_ROOT, "tools", "cpu_profile.ts"),
        String(port),
        "4", // longer than the spin, so that a slow start on a busy machine is still inside it
        out,
      ],
    }).output();
    // A process the tool did not attach to waits for a debugger for ever: it goes with the tool.
    if (tool.code !== 0) busy.kill("SIGKILL");
    const status = await busy.status;
    await stderr.done;
    const printed = new TextDecoder().decode(tool.stdout);
    assert.equal(tool.code, 0, new TextDecoder().decode(tool.stderr));
    assert.equal(status.code, 0, stderr.now());
    // The busy script's code (its function, or the module's code where V8 inlined it into it)
    // is what the process spent its time in, beside idle time.
    const first = printed.split("\n").find((line) =>
      !/\((idle|program|garbage collector)\)/.test(line)
    );
    assert.match(first ?? "", /busy\.ts:/, printed);
    const profile = JSON.parse(await Deno.readTextFile(out));
    assert.ok(profile.samples.length > 0 && profile.nodes.length > 0);
  } finally {
    await removeTempDir(dir);
  }
});
