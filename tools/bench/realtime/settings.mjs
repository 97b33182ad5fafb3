// The realtime suite's counts (scaled by BENCH_SCALE), settings and targets.
import { SCALE } from '../lib/util.mjs';

const count = (base, min) => Math.max(min, Math.round(base * SCALE));

export const N = {
  /** Tasks reporting progress at once in (a), staggered over one gap. */
  latencyTasks: 10,
  /** Progress reports per task in (a): samples = latencyTasks x this. */
  latencyReports: count(60, 5),
  warmupReports: 5,
  /** Round trips of the baseline (raw PostgreSQL transaction + Redis pub/sub, no Stepwise). */
  baseline: count(300, 30),
  /** Clients (and tasks) of (b). */
  clients: count(1_000, 20),
};
export const WORKER_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
export const IN_FLIGHT = 50;
export const CONNECT_BATCH = 100;
/** Once the database says every task of (b) is over, terminal events still missing after this are lost. */
export const LOSS_GRACE_MS = 5_000;
/**
 * BENCH_RT_SHARED_OWNER=1: every client of (b) is the same owner, as with the apps' default
 * anonymous owner: each socket is then in that owner's room and gets the task.created of every
 * task (N x N frames), so "events of another task" is expected to be N x (N - 1) there.
 */
export const SHARED_OWNER = process.env.BENCH_RT_SHARED_OWNER === '1';
export const TIMEOUT_MS = Number(process.env.BENCH_RT_TIMEOUT_MS ?? 170_000);
export const TARGETS = { latencyP99Ms: 10, lostTerminalEvents: 0 };
export const TERMINAL = ['task.completed', 'task.failed', 'task.cancelled'];
