/**
 * The network fence: before a sink or command opens a connection, it checks that the process
 * was granted `--allow-net` for that host and port, and otherwise stops with a message naming
 * the flag to add (the tasks grant only the local servers).
 *
 * @module
 */

/**
 * Throws unless the process may reach `host:port`. `who` names who asks (`sink db`), `service`
 * what is there (`PostgreSQL`); `granted` says what the tasks grant, for the message.
 *
 * @example
 * ```ts
 * import { requireNetAccess } from "./net_access.ts";
 * await requireNetAccess("sink db", "PostgreSQL", "127.0.0.1", 5432, "127.0.0.1:5432");
 * ```
 */
export async function requireNetAccess(
  who: string,
  service: string,
  host: string,
  port: number,
  granted: string,
): Promise<void> {
  const permission = await Deno.permissions.query({ name: "net", host: `${host}:${port}` });
  if (permission.state === "granted") return;
  throw new Error(
    `${who}: no network access to ${service} at ${host}:${port}; the tasks grant ` +
      `--allow-net=${granted} ` +
      `only: run deno with --allow-net=${host}:${port} (see README, Permissions)`,
  );
}
