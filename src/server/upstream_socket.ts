/**
 * The Unix socket of the HTTP server behind the connection guard: one left behind by a killed
 * service is removed, one a live service answers on is not taken.
 *
 * @module
 */

/**
 * Removes the socket file a killed service left behind; throws when a service still answers on
 * it (another `observer.ts serve` on the same port of this project).
 *
 * @example
 * ```ts
 * import { removeStaleSocket } from "./upstream_socket.ts";
 * await removeStaleSocket("/tmp/qts-observer.sock");
 * ```
 */
export async function removeStaleSocket(path: string): Promise<void> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    await Deno.remove(path).catch(() => {}); // nobody listens: left by a killed process
    return;
  }
  throw new Error(`another observer.ts serve answers on ${path}: expected none`);
}
