/**
 * The subjects records and snapshots are published on:
 * `<prefix>.<kind>.<source>.<symbol>`, e.g. `qts.snapshots.market.005930`. A token is the value
 * with every character outside `A-Z a-z 0-9 _ -` replaced by `_` (NATS reserves `.`, `*`, `>`
 * and whitespace), at most 64 characters; a missing or empty value is `_`.
 *
 * @module
 */

import type { ObservationSnapshot } from "../contract/snapshot.ts";

/** What a subject carries: whole records, or the snapshots alone. */
export const NATS_PAYLOADS = ["snapshots", "records"] as const;

/** One of {@linkcode NATS_PAYLOADS}. */
export type NatsPayload = typeof NATS_PAYLOADS[number];

/** The default subject prefix. */
export const DEFAULT_SUBJECT_PREFIX = "qts";

/** A subject prefix the configuration accepts: tokens of `A-Z a-z 0-9 _ -`, dot-separated. */
export const SUBJECT_PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const MAX_TOKEN = 64;

/**
 * One subject token for a value (see the module notes).
 *
 * @example
 * ```ts
 * import { subjectToken } from "./subjects.ts";
 * subjectToken("BRK.B"); // => "BRK_B"
 * subjectToken(undefined); // => "_"
 * ```
 */
export function subjectToken(value: unknown): string {
  if (typeof value !== "string" || value === "") return "_";
  return value.slice(0, MAX_TOKEN).replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The subject of one snapshot's message (made afresh; {@linkcode SnapshotSubjects} keeps them).
 *
 * @example
 * ```ts
 * import { snapshotSubject } from "./subjects.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * snapshotSubject("qts", "snapshots", snapshot); // e.g. "qts.snapshots.market.005930"
 * ```
 */
export function snapshotSubject(
  prefix: string,
  payload: NatsPayload,
  snapshot: ObservationSnapshot,
): string {
  return `${prefix}.${payload}.${subjectToken(snapshot.context?.source)}.${
    subjectToken(snapshot.context?.symbol)
  }`;
}

/**
 * The subjects of one prefix and payload, each made once per source and symbol and then looked
 * up: a publisher sends many messages on few subjects, and a subject made per message costs
 * its two replacements and a concatenation each time. At most 4096 are kept (then it starts
 * over).
 *
 * @example
 * ```ts
 * import { SnapshotSubjects } from "./subjects.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * new SnapshotSubjects("qts", "snapshots").of(snapshot); // e.g. "qts.snapshots.market.005930"
 * ```
 */
export class SnapshotSubjects {
  readonly #prefix: string;
  readonly #payload: NatsPayload;
  readonly #known = new Map<unknown, Map<unknown, string>>();
  #size = 0;

  /** Subjects `<prefix>.<payload>.…`. */
  constructor(prefix: string, payload: NatsPayload) {
    this.#prefix = prefix;
    this.#payload = payload;
  }

  /** The subject of `snapshot`'s message, as {@linkcode snapshotSubject} makes it. */
  of(snapshot: ObservationSnapshot): string {
    const source: unknown = snapshot.context?.source;
    const symbol: unknown = snapshot.context?.symbol;
    let bySymbol = this.#known.get(source);
    const known = bySymbol?.get(symbol);
    if (known !== undefined) return known;
    if (this.#size >= MAX_KEPT_SUBJECTS) {
      this.#known.clear();
      this.#size = 0;
      bySymbol = undefined;
    }
    if (bySymbol === undefined) {
      bySymbol = new Map();
      this.#known.set(source, bySymbol);
    }
    const subject = snapshotSubject(this.#prefix, this.#payload, snapshot);
    bySymbol.set(symbol, subject);
    this.#size++;
    return subject;
  }
}

const MAX_KEPT_SUBJECTS = 4096;
