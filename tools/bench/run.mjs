// Issue 3's benchmark: raw BullMQ vs Stepwise (distributed mode) on the same
// Redis, and pg-boss and graphile-worker (baselines/) on the same PostgreSQL,
// each in its own database, in one run. `npm run bench` (BENCH_SCALE=0.5 halves every count,
// 2 doubles them; BENCH_SKIP_BUILD=1 reuses tools/bench/tmp/build;
// BENCH_PG_FSYNC=on runs PostgreSQL with fsync; BENCH_CPU_PROF=<dir> writes a CPU profile of each child;
// BENCH_QUICK=1 runs raw BullMQ and the Stepwise engine scenarios only and prints their JSON, to compare two builds;
// BENCH_QUICK=apps the built apps (F, with its liveness probe) only).
//
// Processes: this orchestrator (producer of raw jobs, HTTP client, poller),
// a raw BullMQ worker, a Stepwise worker (role worker), a Stepwise submitter
// (role api), later the HTTP apps; a pg-boss and a graphile-worker worker.
// Redis and PostgreSQL are the test harness's servers, started here.
// Results: tools/bench/results/latest.json and a markdown table on stdout.
//
// The scenarios: engine/raw.mjs (raw PostgreSQL, raw BullMQ: A, B),
// baselines/ (pg-boss: G, graphile-worker: H), engine/stepwise.mjs (C, D and
// the profile of D), engine/http.mjs (E, F); engine/cost.mjs counts what each
// costs, engine/table.mjs prints the report.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { comparisons } from './baselines/report.mjs';
import { graphileWorkerBaseline } from './baselines/graphile-worker.mjs';
import { pgBossBaseline } from './baselines/pg-boss.mjs';
import { build } from './build.mjs';
import { Meter } from './engine/cost.mjs';
import { CONCURRENCY, GAP_MS, IN_FLIGHT, N, TARGETS } from './engine/common.mjs';
import { builtAppsScenario, httpNoopScenario } from './engine/http.mjs';
import { rawBullmq, rawPostgres } from './engine/raw.mjs';
import { engineScenarios, startStepwise } from './engine/stepwise.mjs';
import { tables } from './engine/table.mjs';
import { harness } from './lib/harness.mjs';
import { Child } from './lib/processes.mjs';
import { writeResults } from './lib/results.mjs';
import { now, round, SCALE, sleep, summary } from './lib/util.mjs';

const require = createRequire(import.meta.url);
const IORedis = require('ioredis');
const pg = require('pg');

async function main() {
  const started = Date.now();
  if (process.env.BENCH_SKIP_BUILD !== '1') build();
  const ctx = { harness: harness() };
  const cleanups = [];
  const fsync = process.env.BENCH_PG_FSYNC === 'on';
  const pgServer = new ctx.harness.PostgresServer({ fsync, statStatements: true });
  const redisServer = new ctx.harness.RedisServer();
  try {
    await redisServer.start();
    cleanups.push(() => redisServer.stop());
    await pgServer.start();
    cleanups.push(() => pgServer.stop());
    ctx.pgServer = pgServer;
    ctx.redisServer = redisServer;
    ctx.redisOptions = { host: '127.0.0.1', port: redisServer.port, maxRetriesPerRequest: null };
    ctx.redis = new IORedis(ctx.redisOptions);
    cleanups.push(() => ctx.redis.quit());
    ctx.pg = new pg.Client({ connectionString: pgServer.url });
    await ctx.pg.connect();
    cleanups.push(() => ctx.pg.end());
    if (pgServer.statStatements) await ctx.pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    ctx.dataDir = mkdtempSync(join(tmpdir(), 'stepwise-bench-data-'));
    cleanups.push(() => rmSync(ctx.dataDir, { recursive: true, force: true }));

    const step = (name) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${name}`);
    const results = {
      date: new Date().toISOString(),
      scale: SCALE,
      fsync,
      machine: { cpus: cpus().length, node: process.version, cpu: cpus()[0]?.model },
      targets: TARGETS,
      counts: N,
    };
    if (process.env.BENCH_QUICK === 'apps') {
      const apps = await builtAppsScenario(ctx);
      console.log(JSON.stringify({ perSec: apps.perSec, liveness: apps.liveness, cost: apps.cost.cpuMsPerUnit }));
      return;
    }
    step('raw PostgreSQL');
    results.postgres = await rawPostgres(ctx);
    step('raw BullMQ (A, B)');
    const plainOpts = () => ({ removeOnComplete: true, removeOnFail: true });
    const stepwiseOpts = (id) => ({
      jobId: id,
      priority: 1_000_000,
      removeOnComplete: true,
      removeOnFail: true,
      attempts: 1,
    });
    results.raw = {
      plain: await rawBullmq(ctx, { jobOptions: plainOpts, label: 'plain' }),
      stepwiseOptions: await rawBullmq(ctx, { jobOptions: stepwiseOpts, label: 'stepwise-opts' }),
    };
    // The PostgreSQL queues; one failing is reported in its rows, not the end of the run.
    const kit = { Child, Meter, summary, round, now, sleep, N, CONCURRENCY, IN_FLIGHT, GAP_MS };
    const baseline = (fn) => fn(ctx, kit).catch((error) => ({ error: String(error?.stack ?? error) }));
    if (process.env.BENCH_QUICK === '1') {
      const worker = await startStepwise(ctx, 'stepwise worker', 'worker');
      try {
        const engine = await engineScenarios(ctx, worker);
        console.log(JSON.stringify({ raw: results.raw.plain.throughput ?? results.raw.plain, engine }, null, 1));
      } finally {
        await worker.stop();
      }
      return;
    }
    step('pg-boss (G)');
    results.baselines = { pgBoss: await baseline(pgBossBaseline) };
    step('graphile-worker (H)');
    results.baselines.graphileWorker = await baseline(graphileWorkerBaseline);
    step('Stepwise worker start');
    const worker = await startStepwise(ctx, 'stepwise worker', 'worker');
    try {
      step('Stepwise engine (C, D, profile)');
      results.engine = await engineScenarios(ctx, worker);
      step('Stepwise HTTP (E)');
      results.http = await httpNoopScenario(ctx, worker);
    } finally {
      await worker.stop();
    }
    step('built apps (F)');
    results.apps = await builtAppsScenario(ctx);
    results.seconds = Math.round((Date.now() - started) / 1000);
    results.comparisons = comparisons(results, TARGETS);

    results.table = tables(results);
    await writeResults('latest.json', results, results.table);
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
