import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

const module = (path: string) => JSON.stringify(pathToFileURL(join(PROJECT_ROOT, path)).href);

Deno.test("a service that cannot listen (address taken) fails to start and leaves nothing running: the process ends by itself, no socket left", async () => {
  const root = await tempDir("serve-start");
  await Deno.mkdir(join(root, "data", "observer"), { recursive: true });
  const socketPath = join(root, "data", "observer", ".serve.sock");
  // In a process of its own: a worker left running would keep it alive (no Deno.exit here).
  const script = `
    import { openPipeline } from ${module("src/app/pipeline.ts")};
    import { startObserverServer } from ${module("src/server/observer_server.ts")};
    import { getObserverLogger } from ${module("src/log/logging.ts")};
    const pipeline = await openPipeline({ root: ${JSON.stringify(root)}, workers: { count: 2 } });
    if (pipeline.parallel === undefined) throw new Error("expected a pipeline the workers record");
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await startObserverServer({
        pipeline, hostname: "127.0.0.1", port: taken.addr.port,
        socketPath: ${JSON.stringify(socketPath)}, logger: getObserverLogger("server"),
      });
      console.log("started");
    } catch (error) {
      console.log("refused: " + error.message);
    }
    taken.close();
    await pipeline.close();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", join(PROJECT_ROOT, "deno.json"), script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const output = await child.output();
  clearTimeout(timer);
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.signal, null, `still running after 15 s: ${stdout}`);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /^refused: .*in use/im);
  assert.equal(await Deno.stat(socketPath).then(() => true, () => false), false);
});
