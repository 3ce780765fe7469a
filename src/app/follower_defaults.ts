/**
 * The followers' defaults the command line shows in its help, in a module of their own so that
 * registering the commands does not load the followers.
 *
 * @module
 */

/**
 * How long a run from a file input waits at its end for its followers, by default: 60 s rides
 * out a database restart or a broker's leader election (seconds to tens of seconds) without
 * keeping a scripted replay waiting long for a destination that is really gone; past it the run
 * exits 1 and says how to finish (`observer.ts follow`).
 */
export const DEFAULT_FOLLOW_TIMEOUT_SECONDS = 60;
