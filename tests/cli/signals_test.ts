import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../helpers/project.ts";

/**
 * A script that stops on its first SIGINT (as the commands do), is done with the run (the
 * listeners disposed), and only then gets the copy of the same Ctrl+C that `deno task` forwards.
 */
const SCRIPT = `
import { abortOnShutdownSignals } from "${join(PROJECT_ROOT, "src/cli/signals.ts")}";
const controller = new AbortController();
{
  using _signals = abortOnShutdownSignals(controller, () => Deno.exit(130));
  Deno.kill(Deno.pid, "SIGINT"); // the terminal's copy
  await new Promise((resolve) => controller.signal.addEventListener("abort", resolve));
}
Deno.kill(Deno.pid, "SIGINT"); // deno task's copy, late
await new Promise((resolve) => setTimeout(resolve, 200));
console.log("summary: interrupted=true");
`;

Deno.test("signals: the late copy of a Ctrl+C that already stopped the run does not kill the process before its summary (exit 0, not by SIGINT)", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: PROJECT_ROOT,
  }).spawn();
  const writer = output.stdin.getWriter();
  await writer.write(new TextEncoder().encode(SCRIPT));
  await writer.close();
  const result = await output.output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.signal, null, `not killed by a signal: ${stderr}`);
  assert.equal(result.code, 0, stderr);
  assert.match(new TextDecoder().decode(result.stdout), /summary: interrupted=true/);
});

Deno.test("signals: a run that ends without a signal removes its listeners (a later SIGINT stops the process as usual)", async () => {
  const script = `
import { abortOnShutdownSignals } from "${join(PROJECT_ROOT, "src/cli/signals.ts")}";
{
  using _signals = abortOnShutdownSignals(new AbortController(), () => Deno.exit(130));
}
Deno.kill(Deno.pid, "SIGINT");
await new Promise((resolve) => setTimeout(resolve, 2000));
console.log("still running");
`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const result = await child.output();
  assert.equal(result.signal, "SIGINT");
  assert.doesNotMatch(new TextDecoder().decode(result.stdout), /still running/);
});
