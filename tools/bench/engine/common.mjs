// What the engine suite's scenarios share: counts (scaled by BENCH_SCALE),
// concurrency, targets, and how they wait for their tasks.
import { round, SCALE, sleep, summary } from '../lib/util.mjs';
import { Meter } from './cost.mjs';

export const count = (base, min = 20) => Math.max(min, Math.round(base * SCALE));

export const N = {
  rawThroughput: count(20_000, 200),
  rawLatency: count(500),
  // As many tasks as the PostgreSQL queues' warm-up jobs (baselines/pg-queue.mjs): with 250, C measured
  // a worker not yet optimised by V8 (0.45 ms of its CPU a task, 0.2 ms once warm).
  warmup: Math.min(1_000, count(10_000, 200)),
  engineThroughput: count(5_000, 100),
  engineLatency: count(500),
  engineBatch: count(20_000, 200),
  profile: count(200),
  httpThroughput: count(3_000, 100),
  httpLatency: count(300),
  appsThroughput: count(3_000, 100),
  pgQueueThroughput: count(10_000, 200),
  pgQueueBatch: count(20_000, 200),
  pgQueueLatency: count(500),
};
export const CONCURRENCY = 50;
/** Tasks per TaskEngine.submitMany (C2), jobs per pg-boss insert() and graphile-worker addJobs(). */
export const BATCH = 1_000;
export const IN_FLIGHT = 50;
export const GAP_MS = 20;
export const TARGETS = { throughputRatio: 0.25, pickupP50Factor: 3, pickupP99Ms: 25, livenessMaxMs: 100 };

/**
 * A throughput scenario, costed by a Meter over `pids`: `submit()` sends `n`
 * tasks (resolving with `{ t0, ... }`), `finished(meter)` waits for them (see
 * waitFinished). Completions per second from t0 to the last `finished_at`, the
 * cost, and what `extra(sub)` adds once the meter has stopped.
 */
export async function measureThroughput(ctx, pids, n, submit, finished, extra) {
  const meter = new Meter(ctx);
  await meter.start(pids);
  const sub = await submit();
  const fin = await finished(meter);
  const cost = await meter.stop(n);
  const seconds = (fin.last - sub.t0) / 1000;
  return {
    count: n,
    completed: fin.done,
    failed: fin.bad,
    timedOut: fin.timedOut,
    seconds: round(seconds),
    perSec: Math.round(fin.done / seconds),
    ...(await extra(sub)),
    cost,
  };
}

/** Polls the task table until `n` tasks of `owner` are finished; the end is the last `finished_at`. */
export function waitFinished(ctx, meter, owner, n, timeoutMs) {
  return waitTasks(ctx, meter, 'owner = $1', [owner], n, timeoutMs);
}

/** The same for the tasks of `type` created since `since` (ms). */
export function waitFinishedByType(ctx, meter, type, since, n, timeoutMs) {
  return waitTasks(ctx, meter, 'type = $1 AND created_at >= $2', [type, Math.floor(since)], n, timeoutMs);
}

async function waitTasks(ctx, meter, where, params, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await ctx.pg.query(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
              count(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS bad,
              max(finished_at)::float8 AS last
         FROM stepwise_tasks WHERE ${where} /* bench-probe */`,
      params,
    );
    if (meter) meter.polls++;
    const { done, bad, last } = rows[0];
    if (done + bad >= n) return { done, bad, last: Number(last), timedOut: false };
    if (Date.now() > deadline) return { done, bad, last: Number(last), timedOut: true };
    await sleep(50);
  }
}

/** Pickup latencies of `[id, t0, start]` records: start - t0. */
export function latencies(starts) {
  return starts.map(([, t0, start]) => start - t0);
}

/** The pickup of one-at-a-time submits GAP_MS apart, from `[id, t0, start]` records: their latencies as `name`. */
export function pickupOf(starts, name, more = {}) {
  return { count: starts.length, gapMs: GAP_MS, [name]: summary(latencies(starts)), ...more };
}
