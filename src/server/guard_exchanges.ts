/**
 * The connections the guard holds and what each is doing: waiting for its first byte, sending
 * its head, or relaying a request and its answer. Counts them by client address (for the limit
 * of one client) and tells when every request that is not a stream has been answered (for a
 * shutdown that cuts no answer).
 *
 * @module
 */

/** What a connection is doing. */
type Phase = "idle" | "head" | "relay" | "stream";

interface Entry {
  readonly client: string;
  phase: Phase;
}

/**
 * The guard's open connections.
 *
 * @example
 * ```ts
 * import { GuardExchanges } from "./guard_exchanges.ts";
 * declare const conn: Deno.Conn;
 * const exchanges = new GuardExchanges();
 * exchanges.add(conn, "127.0.0.1");
 * exchanges.delete(conn);
 * await exchanges.settled();
 * ```
 */
export class GuardExchanges {
  readonly #entries = new Map<Deno.Conn, Entry>();
  readonly #byClient = new Map<string, number>();
  /** Connections sending a head or relaying a request that is not a GET or HEAD. */
  #busy = 0;
  #waiters: (() => void)[] = [];

  /** Connections open now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Connections open now from `client`. */
  ofClient(client: string): number {
    return this.#byClient.get(client) ?? 0;
  }

  /** A connection just accepted from `client`: nothing read yet. */
  add(conn: Deno.Conn, client: string): void {
    this.#entries.set(conn, { client, phase: "idle" });
    this.#byClient.set(client, this.ofClient(client) + 1);
  }

  /** The first bytes of its head came. */
  begin(conn: Deno.Conn): void {
    this.#move(conn, "head");
  }

  /** Its head was whole and is passed on; `bodyless` for a GET or HEAD (a stream, maybe). */
  relaying(conn: Deno.Conn, bodyless: boolean): void {
    this.#move(conn, bodyless ? "stream" : "relay");
  }

  /** The connection ended. */
  delete(conn: Deno.Conn): void {
    const entry = this.#entries.get(conn);
    if (entry === undefined) return;
    this.#setPhase(entry, "idle");
    this.#entries.delete(conn);
    const left = this.ofClient(entry.client) - 1;
    if (left > 0) this.#byClient.set(entry.client, left);
    else this.#byClient.delete(entry.client);
  }

  /** The connections that have sent nothing yet. */
  idle(): Deno.Conn[] {
    return [...this.#entries].filter(([, e]) => e.phase === "idle").map(([conn]) => conn);
  }

  /** Every connection open. */
  connections(): Deno.Conn[] {
    return [...this.#entries.keys()];
  }

  /** Forgets every connection (they were closed). */
  clear(): void {
    this.#entries.clear();
    this.#byClient.clear();
    this.#busy = 0;
    this.#wake();
  }

  /**
   * Resolves once no connection sends a head or relays a request other than a GET or HEAD.
   */
  settled(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #move(conn: Deno.Conn, phase: Phase): void {
    const entry = this.#entries.get(conn);
    if (entry !== undefined) this.#setPhase(entry, phase);
  }

  #setPhase(entry: Entry, phase: Phase): void {
    const busy = (p: Phase) => p === "head" || p === "relay";
    this.#busy += (busy(phase) ? 1 : 0) - (busy(entry.phase) ? 1 : 0);
    entry.phase = phase;
    if (this.#busy === 0) this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
