// The raw baselines of the engine suite, with no task engine: PostgreSQL
// (round trips, INSERT throughput) and BullMQ (A: addBulk throughput, A1: add()
// ×50 in flight, B: pickup, A2: with Stepwise's job options), the BullMQ worker in its own process.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child } from '../lib/processes.mjs';
import { now, sleep, round, summary } from '../lib/util.mjs';
import { Meter } from './cost.mjs';
import { CONCURRENCY, count, GAP_MS, IN_FLIGHT, N, pickupOf } from './common.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');
const pg = require('pg');

const here = dirname(fileURLToPath(import.meta.url));

export async function rawPostgres(ctx) {
  // Round trip of the cheapest statement on one connection, and single-row
  // INSERT throughput through a pool of 10 (TypeORM's pool size here) with 50 in flight.
  const client = new pg.Client({ connectionString: ctx.pgServer.url });
  await client.connect();
  const rt = [];
  for (let i = 0; i < count(2_000, 100); i++) {
    const s = now();
    await client.query('SELECT 1 /* bench-probe */');
    rt.push(now() - s);
  }
  await client.query('CREATE TABLE bench_rows (id serial PRIMARY KEY, task_id varchar, payload text)');
  await client.end();
  const pool = new pg.Pool({ connectionString: ctx.pgServer.url, max: 10 });
  const n = count(10_000, 200);
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) {
        await pool.query('INSERT INTO bench_rows (task_id, payload) VALUES ($1, $2) /* bench-probe */', [
          String(next),
          '{"type":"task.step"}',
        ]);
      }
    }),
  );
  const insertsPerSec = n / ((now() - t0) / 1000);
  await pool.end();
  return { selectRoundTripMs: summary(rt), insertsPerSecPool10: Math.round(insertsPerSec) };
}

export async function rawBullmq(ctx, { jobOptions, label }) {
  const queueName = `raw-${label}`;
  const worker = Child.fork(`bullmq worker (${label})`, join(here, '..', 'bullmq-worker.mjs'), [
    ctx.redisServer.url,
    queueName,
    String(CONCURRENCY),
  ]);
  await worker.wait((m) => m.ready);
  const queue = new Queue(queueName, { connection: ctx.redisOptions, prefix: 'raw' });
  await queue.waitUntilReady();
  const meter = new Meter(ctx);
  try {
    const addAll = async (n, tag) => {
      await worker.ask({ cmd: 'expect', n });
      const t0 = now();
      const chunk = 1_000;
      for (let i = 0; i < n; i += chunk) {
        const jobs = [];
        for (let j = i; j < Math.min(n, i + chunk); j++) {
          jobs.push({ name: 'noop', data: { i: j }, opts: jobOptions(`${tag}-${j}`) });
        }
        await queue.addBulk(jobs);
      }
      const added = now();
      const done = await worker.wait((m) => m.done, 120_000);
      return { t0, added, last: done.last };
    };
    await addAll(Math.min(2_000, N.rawThroughput), 'warm');
    await meter.start({ worker: worker.proc.pid });
    const { t0, added, last } = await addAll(N.rawThroughput, 'run');
    const cost = await meter.stop(N.rawThroughput);
    const seconds = (last - t0) / 1000;
    const throughput = {
      count: N.rawThroughput,
      seconds: round(seconds),
      perSec: Math.round(N.rawThroughput / seconds),
      addBulkSeconds: round((added - t0) / 1000),
      cost,
    };
    if (label !== 'plain') return { throughput };

    // A1: single adds, 50 in flight, as C submits one task at a time (A's addBulk is the batch baseline, for C2).
    const single = await (async () => {
      const n = N.rawThroughput;
      await worker.ask({ cmd: 'expect', n });
      await meter.start({ worker: worker.proc.pid });
      const t0 = now();
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          for (let i = next++; i < n; i = next++) await queue.add('noop', { i }, jobOptions(`single-${i}`));
        }),
      );
      const { last } = await worker.wait((m) => m.done, 120_000);
      const cost = await meter.stop(n);
      const seconds = (last - t0) / 1000;
      return { count: n, seconds: round(seconds), perSec: Math.round(n / seconds), cost };
    })();

    // Pickup: one add at a time, not saturated; t0 goes in the job data.
    const addResolved = new Map();
    for (let i = 0; i < 50; i++) await queue.add('noop', { t0: now() }, jobOptions(`lw-${i}`));
    await sleep(200);
    await worker.ask({ cmd: 'collect' });
    for (let i = 0; i < N.rawLatency; i++) {
      const t0 = now();
      const job = await queue.add('noop', { t0 }, jobOptions(`lat-${i}`));
      addResolved.set(job.id, now());
      await sleep(GAP_MS);
    }
    await sleep(200);
    const { starts } = await worker.ask({ cmd: 'collect' });
    return {
      throughput,
      single,
      pickup: pickupOf(starts, 'fromAddCallMs', {
        fromAddResolvedMs: summary(starts.map(([id, , start]) => start - addResolved.get(id))),
      }),
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await worker.stop();
  }
}
