/**
 * Headless Chromium for page tests (the report, the dashboard): installs Debian's `chromium` when it is missing (the
 * tests run as root in CI), then loads pages with the flags this closed network needs.
 *
 * @module
 */

import { tempDir } from "./temp.ts";

const CHROMIUM = "/usr/bin/chromium";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, out: decoder.decode(output.stdout) + decoder.decode(output.stderr) };
}

/**
 * Why a Chromium test cannot run here, or undefined when it can: Chromium is installed, or the
 * tests run as root and can install it. Prints the reason, for the test's `ignore`.
 */
export async function chromiumUnavailable(): Promise<string | undefined> {
  if (await exists(CHROMIUM) || Deno.uid() === 0) return undefined;
  const reason = `skipped: needs Chromium (${CHROMIUM} is missing and installing it needs root)`;
  console.log(reason);
  return reason;
}

/** Returns the Chromium binary, installing Debian's package first when it is missing. */
export async function ensureChromium(): Promise<string> {
  if (await exists(CHROMIUM)) return CHROMIUM;
  console.log("chromium is missing: installing Debian's chromium package (apt-get)");
  const update = await run("apt-get", ["update", "-qq"]);
  const install = update.code === 0
    ? await run("apt-get", ["install", "-y", "-qq", "chromium"])
    : update;
  if (install.code !== 0 || !(await exists(CHROMIUM))) {
    throw new Error(
      `expected to install Debian's chromium for the report test (as root, with apt-get), ` +
        `but it failed:\n${install.out.slice(-2000)}`,
    );
  }
  return CHROMIUM;
}

/**
 * The flags this closed network needs (no background connections, no sandbox as root), for
 * Chromium started here or by Playwright (which adds `--headless` itself).
 */
export const CHROMIUM_FLAGS: string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const FLAGS = ["--headless", ...CHROMIUM_FLAGS, "--virtual-time-budget=5000"];

/** Runs headless Chromium with a fresh profile and `args`; returns its output. */
async function runChromium(chromium: string, args: string[]): Promise<Deno.CommandOutput> {
  const profile = await tempDir("chromium");
  return await new Deno.Command(chromium, {
    args: [...FLAGS, `--user-data-dir=${profile}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** What a page did in the browser. */
export interface PageRun {
  /** The DOM after the page's scripts ran. */
  readonly dom: string;
  /** Console messages the page logged (errors included). */
  readonly console: string[];
}

/** Loads a local HTML file headless; returns its final DOM and console messages. */
export async function loadPage(chromium: string, htmlPath: string): Promise<PageRun> {
  const output = await runChromium(chromium, [
    "--enable-logging=stderr",
    "--v=0",
    "--dump-dom",
    `file://${htmlPath}`,
  ]);
  const stderr = new TextDecoder().decode(output.stderr);
  return {
    dom: new TextDecoder().decode(output.stdout),
    console: stderr.split("\n").filter((line) => line.includes(":CONSOLE")),
  };
}

/** Saves a screenshot of a local HTML file. */
export async function screenshot(
  chromium: string,
  htmlPath: string,
  pngPath: string,
): Promise<void> {
  const output = await runChromium(chromium, [
    "--window-size=1200,2400",
    `--screenshot=${pngPath}`,
    `file://${htmlPath}`,
  ]);
  if (output.code !== 0) throw new Error(new TextDecoder().decode(output.stderr));
}
