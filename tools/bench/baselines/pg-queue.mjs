// The workload every PostgreSQL job queue baseline runs (pg-boss.mjs,
// graphile-worker.mjs), the same as raw BullMQ's in ../engine/raw.mjs: 1-step no-op
// jobs, one worker process, producer in the orchestrator.
//
//   single: one job per call, IN_FLIGHT calls at a time (as Stepwise's C submits)
//   batch:  the library's batch insert, 1,000 jobs a call (as raw BullMQ's addBulk)
//   pickup: one call at a time, GAP_MS apart; t0 goes in the job data
//
// Each system gets its own database on the benchmark's PostgreSQL server, so its
// schema never meets Stepwise's; the database is dropped afterwards.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNK = 1_000;

/** The installed version of an (ESM-only) package, from its resolved entry point. */
export function packageVersion(name) {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
    dir = dirname(dir);
  }
}

async function createDatabase(ctx, name) {
  await ctx.pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await ctx.pg.query(`CREATE DATABASE ${name}`);
  const url = new URL(ctx.pgServer.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * @param ctx    the orchestrator's context (pgServer, pg, ...)
 * @param kit    the engine suite's helpers and constants (../run.mjs) (Child, Meter, summary, round, now, sleep, N, IN_FLIGHT, GAP_MS)
 * @param system { name, version, database, config, worker(url) -> [script, args, env],
 *                 producer(url) -> { sendOne(data) -> id, sendMany(datas), close() } }
 */
export async function runPgQueueBaseline(ctx, kit, system) {
  const { Child, Meter, summary, round, now, sleep, N, IN_FLIGHT, GAP_MS } = kit;
  const url = await createDatabase(ctx, system.database);
  let producer;
  let worker;
  try {
    producer = await system.producer(url);
    const [script, args, env] = system.worker(url);
    worker = Child.fork(`${system.name} worker`, script, args, env);
    await worker.wait((m) => m.ready, 60_000);

    const finished = async () => {
      const done = await worker.wait((m) => m.done, 300_000);
      if (done.error) throw new Error(`${system.name} worker: ${done.error}`);
      return done;
    };
    const single = async (n, tag) => {
      await worker.ask({ cmd: 'expect', n });
      const submitMs = [];
      let next = 0;
      const t0 = now();
      const lane = async () => {
        while (next < n) {
          const i = next++;
          const start = now();
          await producer.sendOne({ i, tag });
          submitMs.push(now() - start);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      const sent = now();
      return { t0, sent, done: await finished(), submitMs };
    };
    const batch = async (n, tag) => {
      await worker.ask({ cmd: 'expect', n });
      const t0 = now();
      for (let i = 0; i < n; i += CHUNK) {
        const datas = [];
        for (let j = i; j < Math.min(n, i + CHUNK); j++) datas.push({ i: j, tag });
        await producer.sendMany(datas);
      }
      const sent = now();
      return { t0, sent, done: await finished() };
    };
    const throughput = async (mode, n) => {
      await mode(Math.min(1_000, n), 'warm');
      const meter = new Meter(ctx);
      await meter.start({ worker: worker.proc.pid });
      const { t0, sent, done, submitMs } = await mode(n, 'run');
      meter.polls += done.polls;
      const cost = await meter.stop(n);
      const seconds = (done.last - t0) / 1000;
      return {
        count: n,
        completed: done.count,
        seconds: round(seconds),
        perSec: Math.round(n / seconds),
        submitSeconds: round((sent - t0) / 1000),
        submitCallMs: submitMs ? summary(submitMs) : undefined,
        cost,
      };
    };

    const result = { system: system.name, version: system.version, config: system.config };
    result.single = await throughput(single, N.pgQueueThroughput);
    result.batch = await throughput(batch, N.pgQueueBatch);

    // Pickup: one call at a time, not saturated (50 warm-up calls first, as for raw BullMQ).
    await sleep(300);
    for (const [n, tag] of [
      [50, 'lw'],
      [N.pgQueueLatency, 'lat'],
    ]) {
      await worker.ask({ cmd: 'collect' });
      await worker.ask({ cmd: 'expect', n });
      const resolved = new Map();
      for (let i = 0; i < n; i++) {
        const t0 = now();
        const id = await producer.sendOne({ t0, tag });
        resolved.set(String(id), now());
        await sleep(GAP_MS);
      }
      await finished();
      const { starts } = await worker.ask({ cmd: 'collect' });
      result.pickup = {
        count: starts.length,
        gapMs: GAP_MS,
        fromSendCallMs: summary(starts.map(([, t0, start]) => start - t0)),
        fromSendResolvedMs: summary(starts.filter(([id]) => resolved.has(id)).map(([id, , s]) => s - resolved.get(id))),
      };
    }
    return result;
  } finally {
    await worker?.stop();
    await Promise.resolve(producer?.close()).catch(() => undefined);
    await ctx.pg.query(`DROP DATABASE IF EXISTS ${system.database} WITH (FORCE)`).catch(() => undefined);
  }
}
