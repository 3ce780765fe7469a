/**
 * The worker of a follower (a Deno Web Worker started by `openFollowers` with the process's own
 * permissions, nothing more): builds the destination, filter and sampling of the sink
 * description it is sent and runs the follower here, off the recording's thread. Listed for
 * `deno compile --include` in tools/compile.ts.
 *
 * @module
 */

import { type FollowerWorkerScope, hostFollower } from "../follow/follower_worker_host.ts";
import { receivedFollowerConfig, type SentFollowerConfig } from "./follower_worker_config.ts";
import { followerParts } from "./followers.ts";

hostFollower(
  globalThis as unknown as FollowerWorkerScope,
  (sent) => followerParts(receivedFollowerConfig(sent as SentFollowerConfig)),
);
