// Issue 3's benchmark: raw BullMQ vs Stepwise (distributed mode) on the same
// Redis, and pg-boss and graphile-worker (baselines/) on the same PostgreSQL,
// each in its own database, in one run. `npm run bench` (BENCH_SCALE=0.5 halves every count,
// 2 doubles them; BENCH_SKIP_BUILD=1 reuses tools/bench/tmp/build;
// BENCH_PG_FSYNC=on runs PostgreSQL with fsync; BENCH_CPU_PROF=<dir> writes a CPU profile of each child).
//
// Processes: this orchestrator (producer of raw jobs, HTTP client, poller),
// a raw BullMQ worker, a Stepwise worker (role worker), a Stepwise submitter
// (role api), later the HTTP apps; a pg-boss and a graphile-worker worker. Redis and PostgreSQL are started here.
// Results: tools/bench/results/latest.json and a markdown table on stdout.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, buildDir } from './build.mjs';
import { freePort, PostgresServer, RedisServer } from './servers.mjs';
import { pgBossBaseline } from './baselines/pg-boss.mjs';
import { graphileWorkerBaseline } from './baselines/graphile-worker.mjs';
import { baselineCostLines, baselineRows, comparisonLines, comparisons } from './baselines/report.mjs';

const require = createRequire(import.meta.url);
const { Queue } = require('bullmq');
const IORedis = require('ioredis');
const pg = require('pg');

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
if (!(SCALE > 0)) throw new Error('BENCH_SCALE must be a positive number');
const count = (base, min = 20) => Math.max(min, Math.round(base * SCALE));

const N = {
  rawThroughput: count(20_000, 200),
  rawLatency: count(500),
  warmup: count(500),
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
const CONCURRENCY = 50;
/** Tasks per TaskEngine.submitMany (C2), jobs per pg-boss insert() and graphile-worker addJobs(). */
const BATCH = 1_000;
const IN_FLIGHT = 50;
const GAP_MS = 20;
const TARGETS = { throughputRatio: 0.25, pickupP50Factor: 3, pickupP99Ms: 25 };

// ---------------------------------------------------------------- helpers

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function summary(values) {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    mean: round(mean),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

const round = (x, digits = 3) => (x === null || x === undefined ? x : Number(x.toFixed(digits)));

/** A forked child speaking request/answer over IPC, one request at a time. */
class Child {
  constructor(name, proc) {
    this.name = name;
    this.proc = proc;
    this.output = [];
    this.inbox = [];
    this.waiters = [];
    proc.stdout?.on('data', (d) => this.output.push(String(d)));
    proc.stderr?.on('data', (d) => this.output.push(String(d)));
    proc.on('message', (msg) => {
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
      else this.inbox.push(msg);
    });
    proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`${name} exited (${code ?? signal}):\n${this.tail()}`));
      }
    });
  }

  static fork(name, script, args, env) {
    // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (open in Chrome DevTools).
    const profile = process.env.BENCH_CPU_PROF;
    const execArgv = profile
      ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name.replace(/\W+/g, '-')}.cpuprofile`]
      : [];
    const proc = fork(script, args, {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new Child(name, proc);
  }

  tail() {
    return this.output.join('').split('\n').slice(-30).join('\n');
  }

  wait(match, timeoutMs = 120_000) {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.proc.exitCode !== null) return Promise.reject(new Error(`${this.name} has exited:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
      this.waiters.push({
        match,
        resolve: done,
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  async ask(msg, timeoutMs) {
    this.proc.send(msg);
    const answer = await this.wait((m) => 'ok' in m, timeoutMs);
    if (!answer.ok) throw new Error(`${this.name}: ${answer.error}`);
    return answer;
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    try {
      this.proc.send({ cmd: 'stop' });
    } catch {
      // IPC already closed
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A spawned app from the build (no IPC), stopped with SIGTERM. */
class AppProcess {
  constructor(name, entry, env) {
    this.name = name;
    this.output = [];
    this.proc = spawn(process.execPath, [entry], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout.on('data', (d) => this.output.push(String(d)));
    this.proc.stderr.on('data', (d) => this.output.push(String(d)));
  }

  async ready(check, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited early:\n${this.output.join('')}`);
      if (await check(this).catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output.join('')}`);
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** CPU time (ms) of a process, from /proc (user + system). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU time of the PostgreSQL server: the postmaster and its live children, plus the
 * children it has reaped (cutime + cstime), so a backend that exits does not go negative.
 */
function pgCpuMs(pgServer) {
  let total = 0;
  const postmaster = Number(readFileSync(join(pgServer.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === postmaster || Number(fields[1]) === postmaster) {
        total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      }
      if (Number(entry) === postmaster) total += ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
    } catch {
      // gone
    }
  }
  return total;
}

/** Snapshots what a scenario costs: CPU per process, SQL statements, Redis commands. */
class Meter {
  constructor(ctx) {
    this.ctx = ctx;
  }

  async start(pids) {
    this.pids = pids;
    this.cpu = this.readCpu();
    this.redis = await redisCommandStats(this.ctx.redis);
    this.xact = await xactCommit(this.ctx.pg);
    if (this.ctx.pgServer.statStatements) await this.ctx.pg.query('SELECT pg_stat_statements_reset()');
    this.polls = 0;
  }

  readCpu() {
    const cpu = { orchestrator: cpuMs(process.pid), redis: cpuMs(this.ctx.redisServer.child.pid) };
    cpu.postgres = pgCpuMs(this.ctx.pgServer);
    for (const [name, pid] of Object.entries(this.pids)) cpu[name] = cpuMs(pid);
    return cpu;
  }

  /** Per-unit costs; call once the work is done (waits for PostgreSQL's stats to flush). */
  async stop(units) {
    const cpuAfter = this.readCpu();
    const cpu = {};
    for (const [name, value] of Object.entries(cpuAfter)) cpu[name] = round((value - this.cpu[name]) / units, 4);
    const redisAfter = await redisCommandStats(this.ctx.redis);
    const redisCommands = {};
    let redisTotal = 0;
    for (const [cmd, calls] of Object.entries(redisAfter)) {
      const delta = calls - (this.redis[cmd] ?? 0);
      if (delta > 0 && cmd !== 'info') {
        redisCommands[cmd] = round(delta / units, 2);
        redisTotal += delta;
      }
    }
    let statements = null;
    if (this.ctx.pgServer.statStatements) {
      const { rows } = await this.ctx.pg.query(
        `SELECT calls::int AS calls, rows::int AS rows, total_exec_time AS ms, query FROM pg_stat_statements
          WHERE query NOT LIKE '%bench-probe%' AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
      );
      const total = rows.reduce((a, r) => a + r.calls, 0);
      statements = {
        perUnit: round(total / units, 2),
        serverExecMsPerUnit: round(rows.reduce((a, r) => a + r.ms, 0) / units, 4),
        top: rows.slice(0, 14).map((r) => ({
          perUnit: round(r.calls / units, 2),
          meanMs: round(r.ms / Math.max(1, r.calls), 4),
          query: r.query.replace(/\s+/g, ' ').slice(0, 160),
        })),
      };
    }
    // Backends flush their transaction counters at most once a second when idle.
    await sleep(1_500);
    // Minus the orchestrator's own transactions: polls, the stats reset and read, the snapshot clear.
    const own = this.polls + (this.ctx.pgServer.statStatements ? 2 : 0) + 1;
    const xact = (await xactCommit(this.ctx.pg)) - this.xact - own;
    return {
      units,
      cpuMsPerUnit: cpu,
      cpuMsPerUnitTotal: round(
        Object.values(cpu).reduce((a, b) => a + b, 0),
        4,
      ),
      sqlStatements: statements,
      transactionsPerUnit: round(xact / units, 2),
      redisCommandsPerUnit: round(redisTotal / units, 2),
      redisCommands,
    };
  }
}

async function redisCommandStats(redis) {
  const info = await redis.info('commandstats');
  const stats = {};
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) stats[m[1]] = Number(m[2]);
  }
  return stats;
}

async function xactCommit(pgClient) {
  await pgClient.query('SELECT pg_stat_clear_snapshot() /* bench-probe */');
  const { rows } = await pgClient.query('SELECT sum(xact_commit)::bigint AS n FROM pg_stat_database /* bench-probe */');
  return Number(rows[0].n);
}

/** Polls the task table until `n` tasks of `owner` are finished; the end is the last `finished_at`. */
async function waitFinished(ctx, meter, owner, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await ctx.pg.query(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
              count(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS bad,
              max(finished_at)::float8 AS last
         FROM stepwise_tasks WHERE owner = $1 /* bench-probe */`,
      [owner],
    );
    if (meter) meter.polls++;
    const { done, bad, last } = rows[0];
    if (done + bad >= n) return { done, bad, last: Number(last), timedOut: false };
    if (Date.now() > deadline) return { done, bad, last: Number(last), timedOut: true };
    await sleep(50);
  }
}

async function waitFinishedByType(ctx, meter, type, since, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await ctx.pg.query(
      `SELECT count(*) FILTER (WHERE status = 'completed')::int AS done,
              count(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS bad,
              max(finished_at)::float8 AS last
         FROM stepwise_tasks WHERE type = $1 AND created_at >= $2 /* bench-probe */`,
      [type, Math.floor(since)],
    );
    if (meter) meter.polls++;
    const { done, bad, last } = rows[0];
    if (done + bad >= n) return { done, bad, last: Number(last), timedOut: false };
    if (Date.now() > deadline) return { done, bad, last: Number(last), timedOut: true };
    await sleep(50);
  }
}

function latencies(starts) {
  return starts.map(([, t0, start]) => start - t0);
}

/** POSTs JSON; resolves with the status code and timing. */
function postJson(agent, port, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function httpSubmitAll(port, n, inflight, gapMs, makeBody, headers) {
  const agent = new Agent({ keepAlive: true, maxSockets: inflight });
  let next = 0;
  const statuses = {};
  const requestMs = [];
  const t0 = now();
  const lane = async () => {
    while (next < n) {
      next++;
      const start = now();
      const status = await postJson(agent, port, makeBody.path, makeBody(start), headers);
      requestMs.push(now() - start);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (gapMs) await sleep(gapMs);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  agent.destroy();
  return { t0, t1: now(), statuses, requestMs };
}

async function httpReady(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health/live', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

// ---------------------------------------------------------------- scenarios

async function rawPostgres(ctx) {
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

async function rawBullmq(ctx, { jobOptions, label }) {
  const queueName = `raw-${label}`;
  const worker = Child.fork(`bullmq worker (${label})`, join(here, 'bullmq-worker.mjs'), [
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
      pickup: {
        count: starts.length,
        gapMs: GAP_MS,
        fromAddCallMs: summary(latencies(starts)),
        fromAddResolvedMs: summary(starts.map(([id, , start]) => start - addResolved.get(id))),
      },
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await worker.stop();
  }
}

function stepwiseEnv(ctx, role, extra = {}) {
  return {
    BENCH_ROLE: role,
    BENCH_BUILD_DIR: buildDir,
    BENCH_CONCURRENCY: String(CONCURRENCY),
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    ...extra,
  };
}

async function startStepwise(ctx, name, role, extra) {
  const child = Child.fork(name, join(here, 'stepwise-app.cjs'), [], stepwiseEnv(ctx, role, extra));
  await child.wait((m) => m.ready, 60_000);
  return child;
}

async function engineScenarios(ctx, worker) {
  const submitter = await startStepwise(ctx, 'stepwise submitter (role api)', 'api');
  try {
    // Warm-up: JIT, pools, BullMQ scripts loaded.
    await submitter.ask({ cmd: 'submit', n: N.warmup, inflight: IN_FLIGHT, owner: 'warmup' }, 120_000);
    await waitFinished(ctx, null, 'warmup', N.warmup, 120_000);
    await worker.ask({ cmd: 'collect' });

    // C: throughput, TaskEngine.submit with 50 in flight.
    const meter = new Meter(ctx);
    await meter.start({ worker: worker.proc.pid, submitter: submitter.proc.pid });
    const n = N.engineThroughput;
    const sub = await submitter.ask({ cmd: 'submit', n, inflight: IN_FLIGHT, owner: 'engine-throughput' }, 300_000);
    const fin = await waitFinished(ctx, meter, 'engine-throughput', n, 300_000);
    const cost = await meter.stop(n);
    const seconds = (fin.last - sub.t0) / 1000;
    const { starts: loadStarts } = await worker.ask({ cmd: 'collect' });
    const throughput = {
      count: n,
      completed: fin.done,
      failed: fin.bad,
      timedOut: fin.timedOut,
      seconds: round(seconds),
      perSec: Math.round(fin.done / seconds),
      submitSeconds: round((sub.t1 - sub.t0) / 1000),
      submitCallMs: summary(sub.submitMs),
      pickupUnderLoadMs: summary(latencies(loadStarts)),
      cost,
    };

    // C2: throughput, TaskEngine.submitMany batches of 1,000, one after the other (as pg-boss insert(), graphile addJobs()).
    await sleep(500);
    await submitter.ask({ cmd: 'submitMany', n: 1_000, batch: BATCH, owner: 'batch-warmup' }, 120_000);
    await waitFinished(ctx, null, 'batch-warmup', 1_000, 120_000);
    const batchMeter = new Meter(ctx);
    await batchMeter.start({ worker: worker.proc.pid, submitter: submitter.proc.pid });
    const nb = N.engineBatch;
    const bsub = await submitter.ask({ cmd: 'submitMany', n: nb, batch: BATCH, owner: 'engine-batch' }, 300_000);
    const bfin = await waitFinished(ctx, batchMeter, 'engine-batch', nb, 300_000);
    const batchCost = await batchMeter.stop(nb);
    const batchSeconds = (bfin.last - bsub.t0) / 1000;
    await worker.ask({ cmd: 'collect' });
    const batch = {
      count: nb,
      batch: BATCH,
      completed: bfin.done,
      failed: bfin.bad,
      timedOut: bfin.timedOut,
      seconds: round(batchSeconds),
      perSec: Math.round(bfin.done / batchSeconds),
      submitSeconds: round((bsub.t1 - bsub.t0) / 1000),
      cost: batchCost,
    };

    // D: pickup, one submit at a time.
    await sleep(500);
    const latMeter = new Meter(ctx);
    await latMeter.start({ worker: worker.proc.pid, submitter: submitter.proc.pid });
    const nl = N.engineLatency;
    const lat = await submitter.ask(
      { cmd: 'submit', n: nl, inflight: 1, owner: 'engine-latency', gapMs: GAP_MS },
      300_000,
    );
    await waitFinished(ctx, latMeter, 'engine-latency', nl, 60_000);
    const latCost = await latMeter.stop(nl);
    const { starts } = await worker.ask({ cmd: 'collect' });
    const pickup = {
      count: starts.length,
      gapMs: GAP_MS,
      fromSubmitCallMs: summary(latencies(starts)),
      submitCallMs: summary(lat.submitMs),
      cost: latCost,
    };

    // Where the pickup time goes: every port call timed, one submit at a time.
    await sleep(300);
    await submitter.ask({ cmd: 'profile', on: true });
    await worker.ask({ cmd: 'profile', on: true });
    await submitter.ask({ cmd: 'submit', n: N.profile, inflight: 1, owner: 'engine-profile', gapMs: GAP_MS }, 300_000);
    await waitFinished(ctx, null, 'engine-profile', N.profile, 60_000);
    const { trace: subTrace } = await submitter.ask({ cmd: 'trace' });
    const { trace: workTrace } = await worker.ask({ cmd: 'trace' });
    await submitter.ask({ cmd: 'profile', on: false });
    await worker.ask({ cmd: 'profile', on: false });
    await worker.ask({ cmd: 'collect' });
    const profile = phaseBreakdown(subTrace, workTrace);
    return { throughput, batch, pickup, profile };
  } finally {
    await submitter.stop();
  }
}

/**
 * From the traces of one-at-a-time submits: the median duration of each port
 * call, in order, from the submit call to the step start and on to the end.
 */
function phaseBreakdown(subTrace, workTrace) {
  const byTask = new Map();
  let pendingSubmit = [];
  for (const [label, id, start, end] of subTrace) {
    if (label === 'engine.submit') {
      // The submit wrapper closes last; its id is unknown: attach to the task created inside it.
      const created = pendingSubmit.find((e) => e[0] === 'store.create');
      if (created) byTask.get(created[1]).unshift(['engine.submit', created[1], start, end]);
      pendingSubmit = [];
      continue;
    }
    const entry = [label, id, start, end];
    pendingSubmit.push(entry);
    if (!byTask.has(id)) byTask.set(id, []);
    byTask.get(id).push(entry);
  }
  for (const entry of workTrace) {
    if (!byTask.has(entry[1])) continue;
    byTask.get(entry[1]).push(entry);
  }
  // Sequence of segments per task: [name, duration]; names get an ordinal when repeated.
  const segments = new Map();
  const order = [];
  const toStep = [];
  for (const entries of byTask.values()) {
    const submit = entries.find((e) => e[0] === 'engine.submit');
    const step = entries.find((e) => e[0] === 'step.start');
    if (!submit || !step) continue;
    const t0 = submit[2];
    toStep.push(step[2] - t0);
    const seen = {};
    let cursor = t0;
    const sorted = entries.filter((e) => e[0] !== 'engine.submit').sort((a, b) => a[2] - b[2] || a[3] - b[3]);
    // The worker's handle() spans the whole run: use its start as "delivered by BullMQ".
    for (const [label, , start, end] of sorted) {
      const k = (seen[label] = (seen[label] ?? 0) + 1);
      const name = k > 1 ? `${label} #${k}` : label;
      const gapName = `(gap before ${name})`;
      if (label === 'worker.handle') {
        push(segments, order, 'BullMQ delivery (dispatch resolved -> handle() entered)', start - cursor);
        cursor = start;
        continue;
      }
      if (start - cursor > 0.05) push(segments, order, gapName, start - cursor);
      if (label === 'step.start') {
        push(segments, order, '== step starts ==', 0);
        cursor = start;
        continue;
      }
      push(segments, order, name, end - start);
      cursor = Math.max(cursor, end);
    }
  }
  return {
    tasks: toStep.length,
    submitToStepStartMs: summary(toStep),
    medianMsPerSegment: order.map((name) => ({
      segment: name,
      p50: round(percentile(segments.get(name), 50)),
      p99: round(percentile(segments.get(name), 99)),
      n: segments.get(name).length,
    })),
  };
}

function push(map, order, key, value) {
  if (!map.has(key)) {
    map.set(key, []);
    order.push(key);
  }
  map.get(key).push(value);
}

async function httpNoopScenario(ctx, worker) {
  const port = await freePort();
  const api = await startStepwise(ctx, 'stepwise http api', 'api', { BENCH_HTTP_PORT: String(port) });
  try {
    const body = (t0) => ({ t0 });
    body.path = '/tasks/noop';
    await httpSubmitAll(port, N.warmup, IN_FLIGHT, 0, body, { 'x-owner-id': 'http-warmup' });
    await waitFinished(ctx, null, 'http-warmup', N.warmup, 120_000);
    await worker.ask({ cmd: 'collect' });

    const meter = new Meter(ctx);
    await meter.start({ worker: worker.proc.pid, api: api.proc.pid });
    const n = N.httpThroughput;
    const sub = await httpSubmitAll(port, n, IN_FLIGHT, 0, body, { 'x-owner-id': 'http-throughput' });
    const fin = await waitFinished(ctx, meter, 'http-throughput', n, 300_000);
    const cost = await meter.stop(n);
    const seconds = (fin.last - sub.t0) / 1000;
    const { starts: loadStarts } = await worker.ask({ cmd: 'collect' });
    const throughput = {
      count: n,
      statuses: sub.statuses,
      completed: fin.done,
      failed: fin.bad,
      timedOut: fin.timedOut,
      seconds: round(seconds),
      perSec: Math.round(fin.done / seconds),
      requestMs: summary(sub.requestMs),
      pickupUnderLoadMs: summary(latencies(loadStarts)),
      cost,
    };
    await sleep(500);
    const lat = await httpSubmitAll(port, N.httpLatency, 1, GAP_MS, body, { 'x-owner-id': 'http-latency' });
    await waitFinished(ctx, null, 'http-latency', N.httpLatency, 60_000);
    const { starts } = await worker.ask({ cmd: 'collect' });
    return {
      throughput,
      pickup: {
        count: starts.length,
        gapMs: GAP_MS,
        fromRequestStartMs: summary(latencies(starts)),
        requestMs: summary(lat.requestMs),
      },
    };
  } finally {
    await api.stop();
  }
}

async function builtAppsScenario(ctx) {
  const port = await freePort();
  const env = {
    TASKS_MODE: 'distributed',
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    TASKS_CONCURRENCY: String(CONCURRENCY),
  };
  const api = new AppProcess('api app', join(buildDir, 'apps/api/src/main.js'), { ...env, PORT: String(port) });
  const worker = new AppProcess('worker app', join(buildDir, 'apps/worker/src/main.js'), env);
  try {
    await api.ready(() => httpReady(port));
    await worker.ready(async (p) => p.output.join('').includes('worker started'));
    const body = () => ({ ticks: 1, tickMs: 0 });
    body.path = '/tasks/countdown';
    const warmStart = Date.now();
    await httpSubmitAll(port, N.warmup, IN_FLIGHT, 0, body);
    await waitFinishedByType(ctx, null, 'countdown', warmStart, N.warmup, 120_000);

    const meter = new Meter(ctx);
    await meter.start({ worker: worker.proc.pid, api: api.proc.pid });
    const n = N.appsThroughput;
    const since = Date.now();
    const sub = await httpSubmitAll(port, n, IN_FLIGHT, 0, body);
    const fin = await waitFinishedByType(ctx, meter, 'countdown', since, n, 300_000);
    const cost = await meter.stop(n);
    const seconds = (fin.last - sub.t0) / 1000;
    return {
      count: n,
      statuses: sub.statuses,
      completed: fin.done,
      failed: fin.bad,
      timedOut: fin.timedOut,
      seconds: round(seconds),
      perSec: Math.round(fin.done / seconds),
      requestMs: summary(sub.requestMs),
      cost,
    };
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}

// ---------------------------------------------------------------- report

function fmt(x, digits = 2) {
  return x === null || x === undefined ? '–' : Number(x).toFixed(digits);
}

function verdict(ok) {
  return ok ? 'MET' : '**MISSED**';
}

function tables(r) {
  const A = r.raw.plain.throughput;
  const B = r.raw.plain.pickup.fromAddCallMs;
  const BR = r.raw.plain.pickup.fromAddResolvedMs;
  const C = r.engine.throughput;
  const D = r.engine.pickup.fromSubmitCallMs;
  const H = r.http.throughput;
  const HP = r.http.pickup.fromRequestStartMs;
  const E = r.apps;
  const ratio = (x) => x / A.perSec;
  const tput = (x) =>
    `${verdict(ratio(x.perSec) >= TARGETS.throughputRatio)} (≥ ${TARGETS.throughputRatio * 100}%: ${fmt(ratio(x.perSec) * 100, 1)}%)`;
  const pick = (x) =>
    `p50 ≤ ${TARGETS.pickupP50Factor}× raw (${fmt(B.p50 * TARGETS.pickupP50Factor)} ms): ${verdict(x.p50 <= B.p50 * TARGETS.pickupP50Factor)}; ` +
    `p99 < ${TARGETS.pickupP99Ms} ms: ${verdict(x.p99 < TARGETS.pickupP99Ms)}`;
  const rows = [
    [
      'A. raw BullMQ, addBulk, 1 worker process, concurrency 50',
      A.count,
      A.perSec,
      '1.00 (baseline)',
      '',
      '',
      'baseline',
    ],
    [
      'A2. raw BullMQ with Stepwise’s job options (jobId, priority)',
      r.raw.stepwiseOptions.throughput.count,
      r.raw.stepwiseOptions.throughput.perSec,
      fmt(ratio(r.raw.stepwiseOptions.throughput.perSec)),
      '',
      '',
      'reference',
    ],
    [
      'B. raw BullMQ pickup, one add at a time (add call → processor start)',
      r.raw.plain.pickup.count,
      '',
      '',
      fmt(B.p50),
      fmt(B.p99),
      `baseline (from add resolved: p50 ${fmt(BR.p50)}, p99 ${fmt(BR.p99)} ms)`,
    ],
    [
      'C. Stepwise engine, TaskEngine.submit ×50 in flight → completed',
      C.count,
      C.perSec,
      fmt(ratio(C.perSec)),
      '',
      '',
      tput(C),
    ],
    [
      `C2. Stepwise engine, TaskEngine.submitMany batches of ${r.engine.batch.batch.toLocaleString('en')} → completed`,
      r.engine.batch.count,
      r.engine.batch.perSec,
      fmt(ratio(r.engine.batch.perSec)),
      '',
      '',
      tput(r.engine.batch),
    ],
    [
      'D. Stepwise pickup, one submit at a time (submit call → step start)',
      r.engine.pickup.count,
      '',
      '',
      fmt(D.p50),
      fmt(D.p99),
      pick(D),
    ],
    [
      'E. Stepwise through HTTP (POST /tasks/noop ×50 in flight) → completed',
      H.count,
      H.perSec,
      fmt(ratio(H.perSec)),
      '',
      '',
      tput(H),
    ],
    [
      'E. Stepwise pickup through HTTP, one request at a time (request start → step start)',
      r.http.pickup.count,
      '',
      '',
      fmt(HP.p50),
      fmt(HP.p99),
      pick(HP),
    ],
    [
      'F. built api + worker apps, POST /tasks/countdown {ticks:1,tickMs:0} ×50 → completed',
      E.count,
      E.perSec,
      fmt(ratio(E.perSec)),
      '',
      '',
      tput(E),
    ],
    ...baselineRows(r.baselines, { ratio, fmt }),
  ];
  const header = [
    'scenario',
    'count',
    'throughput/s',
    'ratio vs raw BullMQ',
    'pickup p50 ms',
    'pickup p99 ms',
    'targets',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    ...comparisonLines(r, r.comparisons, { fmt, verdict }),
  ];

  const cost = (name, c) =>
    `| ${name} | ${fmt(c.sqlStatements?.perUnit, 1)} | ${fmt(c.transactionsPerUnit, 1)} | ${fmt(c.sqlStatements?.serverExecMsPerUnit, 3)} | ${fmt(c.redisCommandsPerUnit, 1)} | ${Object.entries(
      c.cpuMsPerUnit,
    )
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${fmt(v, 3)}`)
      .join(', ')} | ${fmt(c.cpuMsPerUnitTotal, 3)} |`;
  const costLines = [
    '',
    'Cost per task/job (whole scenario, background work included):',
    '',
    '| scenario | SQL statements | PG transactions | PG exec ms | Redis commands | CPU ms by process | CPU ms total |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    cost('A. raw BullMQ', A.cost),
    cost('C. Stepwise engine', C.cost),
    cost('C2. Stepwise engine, submitMany', r.engine.batch.cost),
    cost('D. Stepwise one at a time', r.engine.pickup.cost),
    cost('E. Stepwise HTTP noop', H.cost),
    cost('F. built apps countdown', E.cost),
    ...baselineCostLines(r.baselines, cost),
  ];
  const prof = r.engine.profile;
  const profLines = [
    '',
    `Where D's pickup goes (${prof.tasks} profiled tasks, submit → step start p50 ${fmt(prof.submitToStepStartMs?.p50)} ms; ports timed by wrappers):`,
    '',
    '| segment (in order) | p50 ms | p99 ms |',
    '| --- | --- | --- |',
    ...prof.medianMsPerSegment.map((s) => `| ${s.segment} | ${fmt(s.p50, 3)} | ${fmt(s.p99, 3)} |`),
  ];
  const env = [
    '',
    `PostgreSQL: SELECT 1 round trip p50 ${fmt(r.postgres.selectRoundTripMs.p50, 3)} ms, single-row INSERTs through a pool of 10: ${r.postgres.insertsPerSecPool10}/s. ` +
      `Machine: ${r.machine.cpus} CPU(s), Node ${r.machine.node}, BENCH_SCALE=${r.scale}, fsync ${r.fsync ? 'on' : 'off'}.`,
  ];
  return [...lines, ...costLines, ...profLines, ...env].join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  if (process.env.BENCH_SKIP_BUILD !== '1') build();
  const ctx = {};
  const cleanups = [];
  const pgServer = new PostgresServer();
  const redisServer = new RedisServer();
  try {
    await redisServer.start();
    cleanups.push(() => redisServer.stop());
    const fsync = process.env.BENCH_PG_FSYNC === 'on';
    await pgServer.start({ fsync });
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

    const table = tables(results);
    results.table = table;
    mkdirSync(join(here, 'results'), { recursive: true });
    const prettier = await import('prettier').catch(() => null);
    let json = JSON.stringify(results, null, 2);
    if (prettier) json = await prettier.format(json, { parser: 'json', printWidth: 120 });
    writeFileSync(join(here, 'results', 'latest.json'), json);
    console.log(table);
    console.log(`\nwritten tools/bench/results/latest.json (${results.seconds} s)`);
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
