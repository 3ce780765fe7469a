/**
 * The connection a publisher uses: made on first use, with the inbox its publish acks come back
 * on; a failed attempt (or a connection found closed) is forgotten, so the next batch tries again.
 *
 * @module
 */

import type * as nats from "@nats-io/transport-node";
import { connectNats } from "./connect.ts";
import type { NatsCredentials } from "./credentials.ts";
import { PubAckInbox } from "./pub_ack_inbox.ts";

/**
 * The client library's connection, as {@linkcode Publishing} holds it. Named here so the public
 * API references an exported type.
 */
export type NatsConnection = nats.NatsConnection;

/** A connection and the inbox its publish acks come back on. */
export interface Publishing {
  /** The connection. */
  readonly nc: NatsConnection;
  /** Its ack inbox. */
  readonly inbox: PubAckInbox;
}

/**
 * A lazily made publishing connection to `servers`, named `qts:<name>` on the server, with the
 * configuration's credentials and TLS (`credentials`) when it has any.
 *
 * @example
 * ```ts
 * import { PublishConnection } from "./publish_connection.ts";
 * const connection = new PublishConnection(["nats://127.0.0.1:4222"], "bus");
 * const { nc, inbox } = await connection.open();
 * await connection.close();
 * ```
 */
export class PublishConnection {
  readonly #servers: readonly string[];
  readonly #name: string;
  readonly #credentials: NatsCredentials | undefined;
  #connection: Promise<Publishing> | undefined;

  /** Connects on the first {@linkcode PublishConnection.open}. */
  constructor(servers: readonly string[], name: string, credentials?: NatsCredentials) {
    this.#servers = servers;
    this.#name = name;
    this.#credentials = credentials;
  }

  /**
   * The open connection (made now when there is none); throws when the servers cannot be
   * reached, refuse the credentials or the TLS certificates (a `NatsConnectError` saying which),
   * or the connection was closed (the next call tries again).
   */
  async open(): Promise<Publishing> {
    if (this.#connection === undefined) {
      this.#connection = connectNats({
        servers: this.#servers,
        name: `qts:${this.#name}`,
        timeout: 2000,
        credentials: this.#credentials,
      }).then((nc) => ({ nc, inbox: new PubAckInbox(nc) }));
      // A failed connection attempt is forgotten so the next batch tries again.
      this.#connection.catch(() => this.#connection = undefined);
    }
    const publishing = await this.#connection;
    if (publishing.nc.isClosed()) {
      this.#connection = undefined;
      throw new Error("the NATS connection was closed");
    }
    return publishing;
  }

  /** Closes the connection, if one was made. Never rejects. */
  async close(): Promise<void> {
    const publishing = await this.#connection?.catch(() => undefined);
    await publishing?.nc.close().catch(() => {});
  }
}
