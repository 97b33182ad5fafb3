// Issue 5's benchmark: realtime events across processes, on real Redis and
// PostgreSQL. `node tools/bench/realtime.mjs` (BENCH_SCALE=0.1 for a quick
// run: every count scaled, 2 doubles them; BENCH_SKIP_BUILD=1 reuses
// tools/bench/tmp/build).
//
// Processes: this orchestrator (HTTP client and every Socket.IO client),
// one Stepwise api (HTTP + Socket.IO, role api) and one Stepwise worker
// (role worker), both tools/bench/realtime-app.cjs in distributed mode;
// Redis and PostgreSQL: the test harness's servers, started here on free
// loopback ports.
//
// (a) Latency: worker ctx.progress() -> Socket.IO client of the api. The step
//     puts the wall-clock time of the call (performance.timeOrigin +
//     performance.now()) in the progress message; the client subtracts it
//     from the arrival time. Both throttles (engine.progressThrottleMs and
//     the gateway's realtime.progressThrottleMs) keep their library defaults
//     unless BENCH_ENGINE_THROTTLE_MS / BENCH_RT_THROTTLE_MS say otherwise,
//     and the calls are spaced (max of the two) + 50 ms apart: every call is
//     the leading edge of both throttles, so no sample waits for a throttle
//     window; what is measured is the pipeline (progress write and event
//     insert in PostgreSQL, Redis publish, the api's gateway, the WebSocket).
// (b) Fan-out: N clients (1,000 at scale 1), each its own owner subscribed to
//     its own task. The tasks wait on a gate in the worker until every
//     subscription is acknowledged (so every client must get exactly one
//     terminal event), then run (one progress report each) and complete.
//     Counted: terminal events lost, duplicated or wrong; the time from the
//     release until the last terminal event arrived.
//
// Results: tools/bench/results/realtime.json and a markdown table on stdout.
// Everything started here is stopped on success, failure, SIGINT/SIGTERM, or
// the watchdog (BENCH_RT_TIMEOUT_MS, 170 s by default).
//
// The scenarios: realtime/baseline.mjs, realtime/latency.mjs (a),
// realtime/fan-out.mjs (b); realtime/apps.mjs starts the apps and clients,
// realtime/table.mjs prints the report.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from './build.mjs';
import { harness } from './lib/harness.mjs';
import { writeResults } from './lib/results.mjs';
import { round, SCALE } from './lib/util.mjs';
import { startApp } from './realtime/apps.mjs';
import { baselineScenario } from './realtime/baseline.mjs';
import { fanOutScenario } from './realtime/fan-out.mjs';
import { latencyScenario } from './realtime/latency.mjs';
import { N, TARGETS, TIMEOUT_MS, WORKER_CONCURRENCY } from './realtime/settings.mjs';
import { table } from './realtime/table.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');

async function main() {
  const started = Date.now();
  const step = (name) => console.error(`[realtime bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${name}`);
  const ctx = { children: [], sockets: [] };
  const cleanups = [];
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const socket of ctx.sockets) socket.disconnect();
      for (const fn of cleanups.reverse())
        await Promise.resolve()
          .then(fn)
          .catch(() => undefined);
    })());
  const abort = (why, code) => {
    console.error(`realtime bench: ${why}; cleaning up`);
    for (const child of ctx.children) child.kill();
    void cleanup().finally(() => process.exit(code));
  };
  const watchdog = setTimeout(() => abort(`watchdog: not done after ${TIMEOUT_MS} ms`, 1), TIMEOUT_MS);
  process.once('SIGINT', () => abort('SIGINT', 130));
  process.once('SIGTERM', () => abort('SIGTERM', 143));

  try {
    if (process.env.BENCH_SKIP_BUILD !== '1') {
      step('build');
      build();
    }
    const { freePort, PostgresServer, RedisServer } = harness();
    const pgServer = new PostgresServer();
    const redisServer = new RedisServer();
    cleanups.push(() => pgServer.stop());
    cleanups.push(() => redisServer.stop());
    step('Redis, PostgreSQL');
    await Promise.all([redisServer.start(), pgServer.start()]);
    ctx.pgServer = pgServer;
    ctx.redisServer = redisServer;
    ctx.dataDir = mkdtempSync(join(tmpdir(), 'stepwise-bench-rt-'));
    cleanups.push(() => rmSync(ctx.dataDir, { recursive: true, force: true }));
    ctx.pg = new pg.Client({ connectionString: pgServer.url });
    await ctx.pg.connect();
    cleanups.push(() => ctx.pg.end());

    const throttles = {
      ...(process.env.BENCH_ENGINE_THROTTLE_MS
        ? { BENCH_ENGINE_THROTTLE_MS: process.env.BENCH_ENGINE_THROTTLE_MS }
        : {}),
      ...(process.env.BENCH_RT_THROTTLE_MS ? { BENCH_RT_THROTTLE_MS: process.env.BENCH_RT_THROTTLE_MS } : {}),
    };
    // Stopped after the sockets are gone (cleanups run in reverse): api, then worker.
    cleanups.push(() => Promise.all(ctx.children.map((c) => c.stop(10_000))));
    step('Stepwise api (HTTP + Socket.IO)');
    ctx.apiPort = await freePort();
    // The api first: it runs the migrations.
    const api = await startApp(ctx, 'stepwise api', 'api', { ...throttles, BENCH_HTTP_PORT: String(ctx.apiPort) });
    step('Stepwise worker');
    ctx.api = api.child;
    const worker = await startApp(ctx, 'stepwise worker', 'worker', {
      ...throttles,
      BENCH_CONCURRENCY: String(WORKER_CONCURRENCY),
    });
    ctx.worker = worker.child;
    ctx.workerSettings = worker.settings;
    // The worker's engine throttle is the one progress() meets; the api's gateway throttle is the other.
    ctx.settings = {
      engineProgressThrottleMs: worker.settings.engineProgressThrottleMs,
      realtimeProgressThrottleMs: api.settings.realtimeProgressThrottleMs,
      workerConcurrency: worker.settings.concurrency,
    };

    const results = {
      date: new Date().toISOString(),
      scale: SCALE,
      machine: { cpus: cpus().length, node: process.version, cpu: cpus()[0]?.model },
      /** 1-minute load average before the scenarios and at the end: other work on the machine skews latencies. */
      loadAverage: { start: round(loadavg()[0], 2) },
      targets: TARGETS,
      counts: N,
      settings: ctx.settings,
    };
    step(`baseline: ${N.baseline} raw PostgreSQL transactions + Redis pub/sub round trips`);
    results.baseline = await baselineScenario(ctx);
    step(`(a) latency: ${N.latencyTasks} tasks x ${N.latencyReports} progress reports`);
    results.latency = await latencyScenario(ctx);
    step(`(b) fan-out: ${N.clients} clients, ${N.clients} tasks`);
    results.fanOut = await fanOutScenario(ctx);
    results.pass = {
      latencyP99: results.latency.latencyMs !== null && results.latency.latencyMs.p99 <= TARGETS.latencyP99Ms,
      lostTerminalEvents: results.fanOut.lostTerminalEvents === 0 && !results.fanOut.timedOut,
    };
    results.loadAverage.end = round(loadavg()[0], 2);
    results.seconds = Math.round((Date.now() - started) / 1000);
    results.table = table(results);

    await writeResults('realtime.json', results, results.table);
  } catch (error) {
    for (const child of ctx.children) if (child.alive) console.error(`----- ${child.name} -----\n${child.tail()}`);
    throw error;
  } finally {
    clearTimeout(watchdog);
    step('cleanup');
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
