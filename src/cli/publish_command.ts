/**
 * `main.ts --publish`: the simulated session's snapshots published to NATS JetStream instead of
 * recorded here (an `observer.ts consume` records them), with the `nats` sink's publisher.
 *
 * @module
 */

import { maskPassword } from "../sinks/postgres_table.ts";
import type { ObservationSnapshot } from "../contract/snapshot.ts";
import { getObserverLogger, setupLogging, teardownLogging } from "../log/logging.ts";
import {
  runSimulatedSession,
  type SimulatedSessionOptions,
  type SnapshotReceiver,
} from "../runtime/qts_runtime.ts";
import { requireNatsAccess } from "../nats/servers.ts";
import { NATS_PUBLISH_DEFAULTS } from "../nats/settings.ts";
import type { NatsCredentials } from "../nats/credentials.ts";
import { backoffDelayMs, delay } from "../io/delay.ts";
import { SnapshotSubjects } from "../nats/subjects.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import type { LogLevelName } from "../log/logging.ts";
import { abortOnShutdownSignals, FORCED_EXIT_CODE } from "./signals.ts";
import { writeAllSync } from "./stdio.ts";

/** What `--publish` needs besides the server URL. */
export interface PublishCommandOptions {
  /** First subject tokens (`qts`). */
  readonly subjectPrefix: string;
  /** Publishes waiting for their ack at most. */
  readonly ackWindow: number;
  /** Credentials and TLS material for the servers (a configuration's `nats` block), if any. */
  readonly credentials?: NatsCredentials;
  /** The session to simulate (its `signal` is set here). */
  readonly session: Omit<SimulatedSessionOptions, "signal">;
  /** `--log-level`. */
  readonly logLevel: LogLevelName;
  /** Exit used by a second shutdown signal. */
  readonly forceExit: (code: number) => void;
}

/**
 * `main.ts --publish <nats-url>[,<nats-url>...]` (any server of a cluster will do): publishes every snapshot of the session on
 * `<prefix>.snapshots.<source>.<symbol>` with its `run_id` as message id, prints
 * `summary: published=... duplicates=... dropped=... not_written=... url=...` and returns the exit
 * code (0 all published, 1 some not, 2 bad URL or no permission to reach the server). While the
 * servers fail and half the queue is used, the session waits for them (retrying with backoff)
 * instead of dropping snapshots; at the end it waits until everything is acked. The first
 * SIGINT/SIGTERM ends the session and the waiting (one last attempt, then what is left is
 * counted as not written).
 */
export async function runPublishCommand(
  urls: readonly string[],
  options: PublishCommandOptions,
): Promise<number> {
  const url = urls.map(maskPassword).join(",");
  try {
    if (urls.length === 0) throw new Error("--publish: expected a nats://host:port URL");
    await requireNatsAccess("--publish", urls);
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_USAGE;
  }
  await setupLogging({ level: options.logLevel, write: (l) => writeAllSync(Deno.stderr, l) });
  try {
    const { NatsPublisher } = await import("../nats/publisher.ts");
    const publisher = new NatsPublisher({
      servers: urls,
      credentials: options.credentials,
      name: "publish",
      logger: getObserverLogger("publish"),
      ackWindow: options.ackWindow,
      whenFull: NATS_PUBLISH_DEFAULTS.whenFull,
    });
    const controller = new AbortController();
    using _signals = abortOnShutdownSignals(controller, () => options.forceExit(FORCED_EXIT_CODE));
    const signal = controller.signal;
    /** While the servers fail, the session waits for them rather than lose its snapshots. */
    const untilPublished = async () => {
      for (let attempt = 1; !signal.aborted; attempt++) {
        try {
          return await publisher.flush();
        } catch {
          await delay(backoffDelayMs(attempt), signal);
        }
      }
    };
    const subjects = new SnapshotSubjects(options.subjectPrefix, "snapshots");
    const publish = (snapshot: ObservationSnapshot) =>
      publisher.publish({
        subject: subjects.of(snapshot),
        msgId: snapshot.meta.run_id,
        payload: JSON.stringify(snapshot),
      });
    const receiver: SnapshotReceiver = {
      onSnapshot(snapshot) {
        if (!publisher.failingHalfFull) return publish(snapshot);
        return untilPublished().then(() => publish(snapshot));
      },
    };
    const session = await runSimulatedSession(receiver, { ...options.session, signal });
    await untilPublished();
    await publisher.close();
    const s = publisher.stats();
    const parts = [
      `published=${s.written}`,
      `duplicates=${s.duplicates}`,
      `dropped=${s.dropped}`,
      `not_written=${s.failed}`,
    ];
    if (s.failed > 0 && s.failure !== undefined) {
      parts.push(`not_written_reason=${JSON.stringify(s.failure)}`);
    }
    if (session.interrupted) parts.push("interrupted=true");
    writeAllSync(Deno.stdout, `summary: ${parts.join(" ")} url=${url}\n`);
    return s.written === session.snapshots ? EXIT_OK : EXIT_INCOMPLETE;
  } finally {
    await teardownLogging();
  }
}
