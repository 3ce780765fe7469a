import assert from "node:assert/strict";
import { Command } from "commander";
import { suggestCommandsBeforeDefault } from "../../src/cli/options.ts";
import { PROJECT_ROOT, runScript } from "../helpers/project.ts";
import { EXIT_USAGE } from "../../src/cli/exit_codes.ts";

/** A program shaped like observer.ts: a default command without arguments, others with. */
function program(errors: string[]): Command {
  const out = { writeOut: () => {}, writeErr: (s: string) => errors.push(s) };
  const root = new Command("observer.ts").exitOverride().configureOutput(out);
  suggestCommandsBeforeDefault(root);
  root.command("record", { isDefault: true }).option("--file <name>").exitOverride()
    .configureOutput(out).action(() => {});
  root.command("inspect").argument("<files...>").exitOverride().configureOutput(out)
    .action(() => {});
  root.command("replay").argument("<files...>").exitOverride().configureOutput(out)
    .action(() => {});
  return root;
}

Deno.test("a mistyped command name is an unknown command with a suggestion, not arguments of the default command", async () => {
  const errors: string[] = [];
  await assert.rejects(
    program(errors).parseAsync(["inpsect", "f"], { from: "user" }),
    (error: { code?: string }) => error.code === "commander.unknownCommand",
  );
  assert.equal(errors.join(""), "error: unknown command 'inpsect'\n(Did you mean inspect?)\n");

  errors.length = 0;
  await assert.rejects(program(errors).parseAsync(["zzzz"], { from: "user" }));
  assert.equal(errors.join(""), "error: unknown command 'zzzz'\n");
});

Deno.test("the default command and named commands still parse", async () => {
  const errors: string[] = [];
  await program(errors).parseAsync([], { from: "user" });
  await program(errors).parseAsync(["--file", "a.jsonl"], { from: "user" });
  await program(errors).parseAsync(["record", "--file", "a.jsonl"], { from: "user" });
  await program(errors).parseAsync(["inspect", "f"], { from: "user" });
  assert.deepEqual(errors, []);
});

Deno.test("observer.ts inpsect f suggests inspect and exits 2", async () => {
  const run = await runScript(PROJECT_ROOT, {
    task: "observer",
    script: "observer.ts",
    args: ["inpsect", "f"],
  });
  assert.equal(run.code, EXIT_USAGE);
  assert.match(run.stderr, /unknown command 'inpsect'\n\(Did you mean inspect\?\)/);
  assert.doesNotMatch(run.stderr, /too many arguments/);
});
