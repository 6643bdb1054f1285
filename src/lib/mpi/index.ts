/**
 * A small process group for MPI-style programs (daos_perf, daos_test): ranks
 * from Open MPI or from our own launcher, a few collectives over a Unix
 * socket, bounded waits. See README.md.
 */
export { PgError } from './errors.js';
export { groupEnv, parentJobKey, MAX_GROUP_SIZE, type GroupEnv, type GroupSource } from './env.js';
export { ProcessGroup, DEFAULT_TIMEOUT_MS, type GroupOptions, type CollectiveOptions, type ReduceOp } from './group.js';
export { launch, type LaunchOptions, type LaunchResult, type RankExit } from './launch.js';
