/**
 * Every shell example in the README runs as written, in a copy of the repository with nothing
 * beside it, in order (later examples read what earlier ones wrote).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../helpers/project.ts";
import { sharedPostgresUnavailable, testClient } from "../helpers/postgres.ts";
import { tempDir } from "../helpers/temp.ts";

/** Commands the test does not run, and why (printed). */
const NOT_RUN: [RegExp, string][] = [
  [/^npm install -g deno/, "installs Deno itself (CI does it before the suite)"],
  [/^deno task (test|coverage)\b/, "runs this very suite"],
  [/^deno task check\b/, "CI runs it before the suite"],
  [
    /^deno task compile(?!.*--dry-run)/,
    "downloads Deno's denort runtime from Deno's server, which our machines cannot reach " +
    "(the --dry-run example runs)",
  ],
];

/** The table the README's PostgreSQL example writes (dropped after the test). */
const EXAMPLE_TABLE = "qts_example_records";
const postgresUnavailable = await sharedPostgresUnavailable();
if (postgresUnavailable !== undefined) {
  NOT_RUN.push([/postgres|psql/, `needs PostgreSQL: ${postgresUnavailable}`]);
}

/** The shell commands of the README's ```sh blocks, with `\` continuations joined. */
function readmeCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, "");
    for (const line of joined.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command.length > 0 && !command.startsWith("#")) commands.push(command);
    }
  }
  return commands;
}

const SKIPPED_DIRS = new Set([".git", "coverage", "bin", "node_modules"]);

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const source = join(from, entry.name);
    if (entry.isDirectory) {
      if (source === join(PROJECT_ROOT, "data", "observer")) {
        await Deno.mkdir(join(to, entry.name), { recursive: true });
        continue;
      }
      await copyTree(source, join(to, entry.name));
    } else if (entry.isFile) await Deno.copyFile(source, join(to, entry.name));
  }
}

async function denoDir(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout)).denoDir;
}

/** Tools the examples call besides Deno; a machine without them skips the test, saying why. */
const TOOLS = ["bash", "python3", "jq", "curl"];
const missing: string[] = [];
for (const tool of TOOLS) {
  const found = await new Deno.Command("bash", {
    args: ["-c", `command -v ${tool}`],
    stdout: "null",
  })
    .output().then((o) => o.success, () => false);
  if (!found) missing.push(tool);
}
if (missing.length > 0) {
  console.log(`skipped: the README examples need ${missing.join(", ")} (CI installs them)`);
}

Deno.test({
  name: "every shell example in the README runs as written from a copy of the repository",
  ignore: missing.length > 0,
}, async () => {
  const commands = readmeCommands(await Deno.readTextFile(join(PROJECT_ROOT, "README.md")));
  assert.ok(commands.length >= 15, `found only ${commands.length} commands`);
  const root = join(await tempDir("readme"), "qts-observer");
  await copyTree(PROJECT_ROOT, root);
  const home = await tempDir("home");
  const env = {
    HOME: home,
    DENO_DIR: await denoDir(),
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
    NO_COLOR: "1",
  };
  let ran = 0;
  try {
    for (const command of commands) {
      const skip = NOT_RUN.find(([pattern]) => pattern.test(command));
      if (skip !== undefined) {
        console.log(`not run: ${command} (${skip[1]})`);
        continue;
      }
      const output = await new Deno.Command("bash", {
        args: ["-c", `set -euo pipefail; ${command}`],
        cwd: root,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      assert.equal(
        output.code,
        0,
        `README example failed: ${command}\n--- stdout\n${
          decoder.decode(output.stdout).slice(-2000)
        }\n--- stderr\n${decoder.decode(output.stderr).slice(-3000)}`,
      );
      ran++;
    }
  } finally {
    if (postgresUnavailable === undefined) {
      const sql = testClient();
      await sql`DROP TABLE IF EXISTS ${sql(EXAMPLE_TABLE)}`;
      await sql.end();
    }
  }
  console.log(`ran ${ran} README commands`);
});
