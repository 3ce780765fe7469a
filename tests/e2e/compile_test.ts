import assert from "node:assert/strict";
import { join } from "node:path";
import { compileCommands } from "../../tools/compile.ts";
import { copyProject, fileLines, PROJECT_ROOT } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

const config = await Deno.readTextFile(join(PROJECT_ROOT, "deno.json"));

Deno.test("deno task compile embeds the run/observer permissions with absolute paths, never -A", () => {
  const commands = compileCommands(config, "/srv/qts");
  assert.equal(commands.length, 2);
  for (const [i, entry] of ["main.ts", "observer.ts"].entries()) {
    const args = commands[i];
    assert.equal(args[0], "compile");
    assert.equal(args[args.length - 1], `/srv/qts/${entry}`);
    assert.equal(
      args[args.indexOf("--include") + 1],
      "/srv/qts/src/parallel/chunk_worker.ts",
      "the parallel recording worker is compiled in",
    );
    assert.ok(
      args.includes("/srv/qts/src/app/follower_worker.ts"),
      "the followers' worker is compiled in",
    );
    assert.ok(args.includes("--allow-read=/srv/qts"), args.join(" "));
    assert.ok(args.includes("--allow-write=/srv/qts/data/observer"), args.join(" "));
    assert.ok(!args.includes("-A") && !args.some((a) => a.startsWith("--allow-all")));
    assert.ok(
      !args.some((a) => a === "--allow-write" || a === "--allow-read"),
      "every grant is scoped",
    );
  }
  assert.deepEqual(commands.map((c) => c[c.indexOf("--output") + 1]), [
    "/srv/qts/bin/qts",
    "/srv/qts/bin/qts-observer",
  ]);
  const task = JSON.parse(config).tasks.compile as string;
  assert.match(task, /--allow-write=\.\/bin /, "the compile task itself may only write bin/");
  assert.ok(!task.includes("-A"));
});

const denort = Deno.env.get("DENORT_BIN");

Deno.test({
  name: "a compiled bin/qts records into <root>/data/observer from any CWD",
  ignore: denort === undefined,
  async fn() {
    const root = await copyProject();
    const compile = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env",
        join(root, "tools", "compile.ts"),
      ],
      env: { DENORT_BIN: denort! },
    }).output();
    assert.equal(compile.code, 0, new TextDecoder().decode(compile.stderr));
    const run = await new Deno.Command(join(root, "bin", "qts"), {
      args: ["--ticks", "2"],
      cwd: await tempDir(),
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.equal((await fileLines(join(root, "data", "observer", "observer.jsonl"))).length, 6);
  },
});

if (denort === undefined) {
  console.log(
    "skipped: compiled-binary test needs DENORT_BIN (deno compile downloads denort from Deno's " +
      "server, which this machine cannot reach); permission flags and standalone root resolution " +
      "are tested without it",
  );
}
