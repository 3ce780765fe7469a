/**
 * Every shell example in the README and in the docs pages (docs/*.md but DESIGN.md; not
 * docs/results/) runs as written, in a copy of the repository with nothing beside it: one fresh
 * copy per page, its commands in order (later examples of a page read what earlier ones wrote).
 * The conventions (what runs, what does not and why) are in docs/contributing.md.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../helpers/project.ts";
import { sharedPostgresUnavailable, testClient } from "../helpers/postgres.ts";
import { tempDir } from "../helpers/temp.ts";

/** Commands the test does not run, and why (printed). */
const NOT_RUN: [RegExp, string][] = [
  [/^npm install\b.* deno@/, "installs Deno itself (CI does it before the suite)"],
  [/^deno task (test|coverage)\b/, "runs this very suite"],
  [/^deno task check\b/, "CI runs it before the suite"],
  [
    /^deno task compile(?!.*--dry-run)/,
    "downloads Deno's denort runtime from Deno's server, which our machines cannot reach " +
    "(the --dry-run example runs)",
  ],
  [/^deno task bench\b/, "runs for minutes and loads the shared machine"],
  [/^deno run .*\bbench\//, "a benchmark: runs for minutes and loads the shared machine"],
];

/** The table the README's PostgreSQL example writes (dropped after the test). */
const EXAMPLE_TABLE = "qts_example_records";
const postgresUnavailable = await sharedPostgresUnavailable();
if (postgresUnavailable !== undefined) {
  NOT_RUN.push([/postgres|psql/, `needs PostgreSQL: ${postgresUnavailable}`]);
}

const natsUnavailable = await localNatsUnavailable();
if (natsUnavailable !== undefined) {
  NOT_RUN.push([/nats|\bconsume\b|stream create/, `needs NATS JetStream: ${natsUnavailable}`]);
}

/**
 * Why the NATS server the tasks may reach (127.0.0.1:4222, with JetStream) cannot be used, or
 * undefined when it answers: a server sends its INFO line as soon as a client connects.
 */
async function localNatsUnavailable(): Promise<string | undefined> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: 4222 });
  } catch (error) {
    return `nothing listens on 127.0.0.1:4222 (${(error as Error).message})`;
  }
  try {
    const buffer = new Uint8Array(4096);
    const timer = setTimeout(() => conn.close(), 2000);
    const n = await conn.read(buffer).catch(() => null);
    clearTimeout(timer);
    const info = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    if (!info.startsWith("INFO ")) return "127.0.0.1:4222 does not answer as a NATS server";
    if (!/"jetstream"\s*:\s*true/.test(info)) {
      return "the NATS server on 127.0.0.1:4222 has no JetStream";
    }
    return undefined;
  } finally {
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/** The pages whose ```sh blocks run: the README, then docs/*.md but DESIGN.md (not docs/results/). */
async function examplePages(): Promise<string[]> {
  const pages: string[] = [];
  for await (const entry of Deno.readDir(join(PROJECT_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md") && entry.name !== "DESIGN.md") {
      pages.push(`docs/${entry.name}`);
    }
  }
  return ["README.md", ...pages.sort()];
}

/** The shell commands of a page's ```sh blocks, with `\` continuations joined. */
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
  name: "every shell example in the README and the docs pages runs as written from a copy of the " +
    "repository",
  ignore: missing.length > 0,
}, async (t) => {
  const pages = await examplePages();
  assert.ok(pages.length >= 2, `found only ${pages.join(", ")}`);
  const dir = await denoDir();
  const decoder = new TextDecoder();
  let total = 0;
  try {
    for (const page of pages) {
      await t.step(page, async () => {
        const commands = readmeCommands(await Deno.readTextFile(join(PROJECT_ROOT, page)));
        if (page === "README.md") {
          assert.ok(commands.length >= 8, `found only ${commands.length} commands in ${page}`);
        }
        const root = join(await tempDir("readme"), "qts-observer");
        await copyTree(PROJECT_ROOT, root);
        const env = {
          HOME: await tempDir("home"),
          DENO_DIR: dir,
          PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
          NO_COLOR: "1",
        };
        let ran = 0;
        for (const command of commands) {
          const skip = NOT_RUN.find(([pattern]) => pattern.test(command));
          if (skip !== undefined) {
            console.log(`not run (${page}): ${command} (${skip[1]})`);
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
          assert.equal(
            output.code,
            0,
            `${page} example failed: ${command}\n--- stdout\n${
              decoder.decode(output.stdout).slice(-2000)
            }\n--- stderr\n${decoder.decode(output.stderr).slice(-3000)}`,
          );
          ran++;
        }
        console.log(`ran ${ran} commands of ${page}`);
        total += ran;
      });
    }
  } finally {
    if (postgresUnavailable === undefined) {
      const sql = testClient();
      await sql`DROP TABLE IF EXISTS ${sql(EXAMPLE_TABLE)}`;
      await sql.end();
    }
  }
  assert.ok(total >= 15, `ran only ${total} commands`);
  console.log(`ran ${total} commands of ${pages.length} pages`);
});
