// Issue 5's benchmark: realtime events across processes, on real Redis and
// PostgreSQL. `node tools/bench/realtime.mjs` (BENCH_SCALE=0.1 for a quick
// run: every count scaled, 2 doubles them; BENCH_SKIP_BUILD=1 reuses
// tools/bench/tmp/build).
//
// Processes: this orchestrator (HTTP client and every Socket.IO client),
// one Stepwise api (HTTP + Socket.IO, role api) and one Stepwise worker
// (role worker), both tools/bench/realtime-app.cjs in distributed mode;
// Redis and PostgreSQL started here on free loopback ports.
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
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, buildDir } from './build.mjs';
import { freePort, PostgresServer, RedisServer } from './servers.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');
const pg = require('pg');
const IORedis = require('ioredis');

const here = dirname(fileURLToPath(import.meta.url));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
if (!(SCALE > 0)) throw new Error('BENCH_SCALE must be a positive number');
const count = (base, min) => Math.max(min, Math.round(base * SCALE));

const N = {
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
const WORKER_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const IN_FLIGHT = 50;
const CONNECT_BATCH = 100;
/** Once the database says every task of (b) is over, terminal events still missing after this are lost. */
const LOSS_GRACE_MS = 5_000;
/**
 * BENCH_RT_SHARED_OWNER=1: every client of (b) is the same owner, as with the apps' default
 * anonymous owner: each socket is then in that owner's room and gets the task.created of every
 * task (N x N frames), so "events of another task" is expected to be N x (N - 1) there.
 */
const SHARED_OWNER = process.env.BENCH_RT_SHARED_OWNER === '1';
const TIMEOUT_MS = Number(process.env.BENCH_RT_TIMEOUT_MS ?? 170_000);
const TARGETS = { latencyP99Ms: 10, lostTerminalEvents: 0 };
const TERMINAL = ['task.completed', 'task.failed', 'task.cancelled'];

// ---------------------------------------------------------------- helpers

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const round = (x, digits = 3) => (x === null || x === undefined ? x : Number(x.toFixed(digits)));

function summary(values) {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    min: round(Math.min(...values)),
    mean: round(mean),
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
  };
}

/** A forked realtime-app.cjs speaking request/answer over IPC. */
class Child {
  constructor(name, env) {
    this.name = name;
    this.output = [];
    this.inbox = [];
    this.waiters = [];
    this.proc = fork(join(here, 'realtime-app.cjs'), [], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.proc.stdout.on('data', (d) => this.output.push(String(d)));
    this.proc.stderr.on('data', (d) => this.output.push(String(d)));
    this.proc.on('message', (msg) => {
      const i = this.waiters.findIndex((w) => w.match(msg));
      if (i >= 0) this.waiters.splice(i, 1)[0].settle(null, msg);
      else this.inbox.push(msg);
    });
    this.proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0))
        w.settle(new Error(`${name} exited (${code ?? signal}):\n${this.tail()}`));
    });
  }

  get alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  tail() {
    return this.output.join('').split('\n').slice(-30).join('\n');
  }

  wait(match, timeoutMs = 60_000) {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (!this.alive) return Promise.reject(new Error(`${this.name} has exited:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        settle: (error, msg) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(msg);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async ask(msg, timeoutMs) {
    this.proc.send(msg);
    const answer = await this.wait((m) => 'ok' in m, timeoutMs);
    if (!answer.ok) throw new Error(`${this.name}: ${answer.error}`);
    return answer;
  }

  /** Asks the app to close; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000) {
    if (!this.alive) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    try {
      this.proc.send({ cmd: 'stop' });
    } catch {
      this.proc.kill('SIGKILL'); // IPC already closed
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill() {
    if (this.alive) this.proc.kill('SIGKILL');
  }
}

async function startApp(ctx, name, role, extra = {}) {
  const child = new Child(name, {
    BENCH_ROLE: role,
    BENCH_BUILD_DIR: buildDir,
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    ...extra,
  });
  ctx.children.push(child);
  const ready = await child.wait((m) => m.ready, 60_000);
  return { child, settings: ready.settings };
}

/** POST /tasks/rt-bench as `owner`; resolves with the task id. */
function submit(agent, port, owner, input) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(input);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/tasks/rt-bench',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-owner-id': owner,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          if (res.statusCode !== 202) reject(new Error(`submit: HTTP ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body).id);
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('submit: no answer within 30 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `fn(i)` for i in [0, n) with at most `lanes` at once. */
async function lanes(n, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, width) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** A Socket.IO client of the api's `/tasks` namespace, as owner `owner`, that records what it gets. */
function openClient(port, owner) {
  const socket = io(`http://127.0.0.1:${port}/tasks`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
    extraHeaders: { 'x-owner-id': owner },
  });
  const client = { socket, owner, events: [] };
  socket.onAny((name, payload) => client.events.push({ name, payload, at: now() }));
  client.connected = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  client.subscribe = async (taskId) => {
    const ack = await socket.timeout(20_000).emitWithAck('subscribe', { taskId });
    if (!ack?.ok) throw new Error(`subscribe ${taskId}: ${JSON.stringify(ack)}`);
    return ack;
  };
  return client;
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}

// ---------------------------------------------------------------- baseline

/**
 * The floor under (a), in the same run, without Stepwise: a PostgreSQL
 * transaction of the same shape as a progress write (BEGIN, UPDATE of a task
 * row, upsert of a step row, INSERT of an event row RETURNING id, COMMIT) on
 * a pooled client, then a Redis PUBLISH of a ~400-byte JSON, timed until a
 * subscriber in this process receives it. Spaced 25 ms apart.
 */
async function baselineScenario(ctx) {
  const pool = new pg.Pool({ connectionString: ctx.pgServer.url, max: 2 });
  const publisher = new IORedis(ctx.redisServer.url, { lazyConnect: true });
  const subscriber = new IORedis(ctx.redisServer.url, { lazyConnect: true });
  try {
    // Connected (and ready-checked) before SUBSCRIBE puts the connection in subscriber mode.
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await pool.query(`CREATE TABLE bench_rt_tasks (id int PRIMARY KEY, progress float8, message text, version int)`);
    await pool.query(
      `CREATE TABLE bench_rt_steps (task_id int, name text, progress float8, PRIMARY KEY (task_id, name))`,
    );
    await pool.query(`CREATE TABLE bench_rt_events (id bigserial PRIMARY KEY, task_id int, payload text)`);
    await pool.query(`INSERT INTO bench_rt_tasks VALUES (1, 0, '', 0)`);
    await subscriber.subscribe('bench-rt-baseline');
    let onMessage;
    subscriber.on('message', (_channel, raw) => onMessage?.(raw));
    const total = [];
    const sql = [];
    const redis = [];
    const payload = 'x'.repeat(400);
    for (let i = 0; i < N.baseline; i++) {
      const start = now();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          'UPDATE bench_rt_tasks SET progress = $1, message = $2, version = version + 1 WHERE id = 1',
          [i / N.baseline, `t=${start}`],
        );
        await client.query(
          `INSERT INTO bench_rt_steps VALUES (1, 'report', $1)
             ON CONFLICT (task_id, name) DO UPDATE SET progress = EXCLUDED.progress`,
          [i / N.baseline],
        );
        await client.query('INSERT INTO bench_rt_events (task_id, payload) VALUES (1, $1) RETURNING id', [payload]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const saved = now();
      let timer;
      const received = new Promise((resolve, reject) => {
        onMessage = resolve;
        timer = setTimeout(() => reject(new Error('baseline: a Redis message did not arrive within 5 s')), 5_000);
      });
      await publisher.publish('bench-rt-baseline', JSON.stringify({ i, start, payload }));
      await received.finally(() => clearTimeout(timer));
      const end = now();
      total.push(end - start);
      sql.push(saved - start);
      redis.push(end - saved);
      await sleep(25);
    }
    return { n: N.baseline, totalMs: summary(total), transactionMs: summary(sql), pubSubMs: summary(redis) };
  } finally {
    await pool.end().catch(() => undefined);
    publisher.disconnect();
    subscriber.disconnect();
  }
}

// ---------------------------------------------------------------- (a) latency

async function latencyScenario(ctx) {
  const gapMs = Math.max(ctx.settings.engineProgressThrottleMs, ctx.settings.realtimeProgressThrottleMs) + 50;
  const client = openClient(ctx.apiPort, 'latency');
  ctx.sockets.push(client.socket);
  await client.connected;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  /** Runs `tasks` tasks of `reports` reports, started gap/tasks apart; returns the latencies and the losses. */
  const run = async (tasks, reports) => {
    const ids = [];
    const acks = [];
    for (let k = 0; k < tasks; k++) {
      const id = await submit(agent, ctx.apiPort, client.owner, { reports, gapMs });
      ids.push(id);
      acks.push(await client.subscribe(id));
      if (k < tasks - 1) await sleep(gapMs / tasks);
    }
    const ended = () =>
      ids.filter((id) => client.events.some((e) => e.payload?.taskId === id && TERMINAL.includes(e.name)));
    await waitUntil(
      () => ended().length === ids.length,
      30_000 + reports * gapMs,
      () => `terminal events of the latency tasks (${ended().length}/${ids.length})`,
    );
    const { seen } = await ctx.api.ask({ cmd: 'collect' });
    const { saved, published } = await ctx.worker.ask({ cmd: 'collect' });
    const key = (taskId, seq) => `${taskId}/${seq}`;
    const atApi = new Map(seen.map(([taskId, seq, at]) => [key(taskId, seq), at]));
    const savedAt = new Map(saved.map(([taskId, seq, at]) => [key(taskId, seq), at]));
    const publishOf = new Map(published.map(([taskId, seq, start, end]) => [key(taskId, seq), { start, end }]));
    const samples = [];
    const parts = {
      toStamp: [],
      stampToSaved: [],
      savedToPublish: [],
      publishCall: [],
      publishToApi: [],
      apiToClient: [],
    };
    let stale = 0;
    for (const id of ids) {
      for (const e of client.events) {
        if (e.payload?.taskId !== id || e.name !== 'task.progress') continue;
        const m = /^t=(\d+(?:\.\d+)?)$/.exec(e.payload.message ?? '');
        if (!m) {
          stale++;
          continue;
        }
        const called = Number(m[1]);
        samples.push(e.at - called);
        // `at` of the event: the engine's clock (whole ms) when it built the event.
        const stamped = Date.parse(e.payload.at);
        const k = key(id, e.payload.seq);
        const api = atApi.get(k);
        const save = savedAt.get(k);
        const pub = publishOf.get(k);
        parts.toStamp.push(stamped - called);
        if (save !== undefined) parts.stampToSaved.push(save - stamped);
        if (save !== undefined && pub) parts.savedToPublish.push(pub.start - save);
        if (pub) parts.publishCall.push(pub.end - pub.start);
        if (pub && api !== undefined) parts.publishToApi.push(api - pub.start);
        if (api !== undefined) parts.apiToClient.push(e.at - api);
      }
    }
    const completed = ids.filter((id) =>
      client.events.some((e) => e.payload?.taskId === id && e.name === 'task.completed'),
    ).length;
    return {
      samples,
      parts,
      expected: tasks * reports,
      stale,
      completed,
      snapshotsPending: acks.filter((a) => a.task?.status === 'pending').length,
    };
  };

  const warmup = await run(2, N.warmupReports);
  const measured = await run(N.latencyTasks, N.latencyReports);
  agent.destroy();
  client.socket.disconnect();
  return {
    gapMs,
    tasks: N.latencyTasks,
    reportsPerTask: N.latencyReports,
    expectedSamples: measured.expected,
    receivedSamples: measured.samples.length,
    unparsedProgressEvents: measured.stale,
    completedTasks: measured.completed,
    warmupSamples: warmup.samples.length,
    latencyMs: summary(measured.samples),
    /**
     * Where the time goes, per sample (steps that involve the event's `at` are approximate: it has
     * whole milliseconds): progress() -> the engine stamps the event (`at`) -> store.save resolved in
     * the worker (the PostgreSQL transaction: task, step and event rows) -> bus.publish called
     * (notifier in between, if any) -> the api's event bus got it (Redis PUBLISH and delivery, the
     * api's event loop) -> the Socket.IO client got it (gateway, WebSocket, the client's event loop).
     * `publishCall` is the Redis PUBLISH round trip as the worker sees it.
     */
    breakdownMs: Object.fromEntries(Object.entries(measured.parts).map(([name, values]) => [name, summary(values)])),
  };
}

// ---------------------------------------------------------------- (b) fan-out

async function fanOutScenario(ctx) {
  const n = N.clients;
  const clients = Array.from({ length: n }, (_, i) =>
    openClient(ctx.apiPort, SHARED_OWNER ? 'fan-shared' : `fan-${i}`),
  );
  // Opened in batches: a thousand handshakes at once would only measure the accept queue.
  const t0 = now();
  for (let i = 0; i < n; i += CONNECT_BATCH) {
    const batch = clients.slice(i, i + CONNECT_BATCH);
    for (const c of batch) ctx.sockets.push(c.socket);
    await Promise.all(batch.map((c) => c.connected));
  }
  const connectMs = now() - t0;

  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const t1 = now();
  const ids = new Array(n);
  await lanes(n, IN_FLIGHT, async (i) => {
    ids[i] = await submit(agent, ctx.apiPort, clients[i].owner, { reports: 1, gapMs: 0, gate: true });
  });
  const submitMs = now() - t1;
  agent.destroy();

  const t2 = now();
  const ackMs = [];
  const notWaiting = [];
  await lanes(n, IN_FLIGHT, async (i) => {
    const start = now();
    const ack = await clients[i].subscribe(ids[i]);
    ackMs.push(now() - start);
    if (!['pending', 'running'].includes(ack.task?.status)) notWaiting.push([ids[i], ack.task?.status]);
  });
  const subscribeMs = now() - t2;
  if (notWaiting.length > 0) throw new Error(`tasks not held by the gate: ${JSON.stringify(notWaiting.slice(0, 5))}`);

  // Go: every task may run now; each client must get exactly one terminal event.
  const released = now();
  await ctx.worker.ask({ cmd: 'release' });
  const terminalsOf = (i) => clients[i].events.filter((e) => e.payload?.taskId === ids[i] && TERMINAL.includes(e.name));
  const arrived = () => clients.reduce((a, _, i) => a + (terminalsOf(i).length > 0 ? 1 : 0), 0);
  let dbDoneAt = null;
  let dbFinishedAt = null;
  let timedOut = false;
  const deadline = Date.now() + 90_000 * Math.max(1, SCALE);
  for (;;) {
    if (arrived() === n) break;
    if (dbDoneAt === null) {
      const { rows } = await ctx.pg.query(
        `SELECT count(*)::int AS done, max(finished_at)::float8 AS last FROM stepwise_tasks
          WHERE type = 'rt-bench' AND owner LIKE 'fan-%' AND status IN ('completed', 'failed', 'cancelled')`,
      );
      if (rows[0].done >= n) {
        dbDoneAt = now();
        dbFinishedAt = Number(rows[0].last);
      }
    } else if (now() - dbDoneAt > LOSS_GRACE_MS) break;
    if (Date.now() > deadline) {
      timedOut = true;
      break;
    }
    await sleep(dbDoneAt === null ? 50 : 20);
  }
  if (dbFinishedAt === null) {
    const { rows } = await ctx.pg.query(
      `SELECT max(finished_at)::float8 AS last FROM stepwise_tasks WHERE type = 'rt-bench' AND owner LIKE 'fan-%'`,
    );
    dbFinishedAt = rows[0].last === null ? null : Number(rows[0].last);
  }
  await sleep(300); // a duplicate would be in by now

  let lost = 0;
  let duplicated = 0;
  let notCompleted = 0;
  let foreign = 0;
  const arrivals = [];
  clients.forEach((c, i) => {
    const terminals = terminalsOf(i);
    if (terminals.length === 0) lost++;
    if (terminals.length > 1) duplicated++;
    if (terminals.length > 0 && terminals[0].name !== 'task.completed') notCompleted++;
    if (terminals.length > 0) arrivals.push(terminals[0].at - released);
    foreign += c.events.filter((e) => e.payload?.taskId !== undefined && e.payload.taskId !== ids[i]).length;
  });
  for (const c of clients) c.socket.disconnect();
  const { rows: statusRows } = await ctx.pg.query(
    `SELECT status, count(*)::int AS n FROM stepwise_tasks WHERE type = 'rt-bench' AND owner LIKE 'fan-%' GROUP BY status`,
  );
  return {
    clients: n,
    sharedOwner: SHARED_OWNER,
    workerConcurrency: ctx.workerSettings.concurrency,
    connectMs: round(connectMs, 1),
    submitMs: round(submitMs, 1),
    subscribeMs: round(subscribeMs, 1),
    subscribeAckMs: summary(ackMs),
    terminalEventsReceived: arrivals.length,
    lostTerminalEvents: lost,
    duplicatedTerminalEvents: duplicated,
    terminalNotCompleted: notCompleted,
    eventsOfOtherTasks: foreign,
    timedOut,
    /** Release of the gate -> last terminal event at a client. */
    allTerminalEventsMs: arrivals.length === n ? round(Math.max(...arrivals), 1) : null,
    terminalArrivalMs: summary(arrivals),
    /** Release of the gate -> the last task's finished_at in PostgreSQL. */
    allTasksFinishedInDbMs: dbFinishedAt === null ? null : round(dbFinishedAt - released, 1),
    tasksByStatus: Object.fromEntries(statusRows.map((r) => [r.status, r.n])),
  };
}

// ---------------------------------------------------------------- report

function table(results) {
  const a = results.latency;
  const b = results.fanOut;
  const pass = (ok) => (ok ? 'pass' : '**FAIL**');
  const ms = (x) => (x === null || x === undefined ? 'n/a' : `${x} ms`);
  const base = results.baseline;
  const rows = [
    [
      'baseline p50 / p99: raw PostgreSQL transaction + Redis pub/sub (no Stepwise)',
      `${ms(base.totalMs?.p50)} / ${ms(base.totalMs?.p99)}`,
      '-',
      'info',
    ],
    [
      'baseline p50 / p99 parts: transaction / pub-sub',
      `${ms(base.transactionMs?.p50)} / ${ms(base.pubSubMs?.p50)}; ${ms(base.transactionMs?.p99)} / ${ms(base.pubSubMs?.p99)}`,
      '-',
      'info',
    ],
    ['(a) progress -> Socket.IO latency p50', ms(a.latencyMs?.p50), '-', 'info'],
    [
      '(a) progress -> Socket.IO latency p99',
      ms(a.latencyMs?.p99),
      `<= ${TARGETS.latencyP99Ms} ms`,
      pass(a.latencyMs !== null && a.latencyMs.p99 <= TARGETS.latencyP99Ms),
    ],
    ['(a) latency max', ms(a.latencyMs?.max), '-', 'info'],
    ...['p50', 'p99'].map((p) => [
      `(a) ${p} parts: progress() -> \`at\` -> saved in PostgreSQL -> publish -> api bus -> client`,
      ['toStamp', 'stampToSaved', 'savedToPublish', 'publishToApi', 'apiToClient']
        .map((name) => ms(a.breakdownMs[name]?.[p]))
        .join(' / '),
      '-',
      'info',
    ]),
    [
      '(a) samples received / expected',
      `${a.receivedSamples} / ${a.expectedSamples}`,
      'all',
      pass(a.receivedSamples === a.expectedSamples),
    ],
    [
      `(b) terminal events lost (${b.clients} clients, ${b.clients} tasks)`,
      String(b.lostTerminalEvents),
      String(TARGETS.lostTerminalEvents),
      pass(b.lostTerminalEvents === TARGETS.lostTerminalEvents && !b.timedOut),
    ],
    [
      '(b) terminal events duplicated / not completed',
      `${b.duplicatedTerminalEvents} / ${b.terminalNotCompleted}`,
      '0 / 0',
      pass(b.duplicatedTerminalEvents === 0 && b.terminalNotCompleted === 0),
    ],
    b.sharedOwner
      ? [
          '(b) events of another task at a client (shared owner: task.created of all)',
          String(b.eventsOfOtherTasks),
          String(b.clients * (b.clients - 1)),
          pass(b.eventsOfOtherTasks === b.clients * (b.clients - 1)),
        ]
      : ['(b) events of another task at a client', String(b.eventsOfOtherTasks), '0', pass(b.eventsOfOtherTasks === 0)],
    ['(b) release -> all terminal events received', ms(b.allTerminalEventsMs), '-', 'info'],
    ['(b) release -> last task finished (PostgreSQL)', ms(b.allTasksFinishedInDbMs), '-', 'info'],
    [
      '(b) terminal arrival after release p50 / p99',
      `${ms(b.terminalArrivalMs?.p50)} / ${ms(b.terminalArrivalMs?.p99)}`,
      '-',
      'info',
    ],
    [
      '(b) connect / submit / subscribe all',
      `${ms(b.connectMs)} / ${ms(b.submitMs)} / ${ms(b.subscribeMs)}`,
      '-',
      'info',
    ],
    ['(b) subscribe ack p50 / p99', `${ms(b.subscribeAckMs?.p50)} / ${ms(b.subscribeAckMs?.p99)}`, '-', 'info'],
  ];
  const s = results.settings;
  return [
    `Realtime benchmark (scale ${results.scale}, ${results.machine.cpus} CPUs, Node ${results.machine.node}): ` +
      `engine.progressThrottleMs=${s.engineProgressThrottleMs}, realtime.progressThrottleMs=${s.realtimeProgressThrottleMs}, ` +
      `progress calls ${a.gapMs} ms apart, worker concurrency ${s.workerConcurrency}; ` +
      `load average ${results.loadAverage.start} at the start, ${results.loadAverage.end} at the end`,
    '',
    '| measure | value | target | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

// ---------------------------------------------------------------- main

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
    cleanups.push(() => Promise.all(ctx.children.map((c) => c.stop())));
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

    mkdirSync(join(here, 'results'), { recursive: true });
    const prettier = await import('prettier').catch(() => null);
    let json = JSON.stringify(results, null, 2);
    if (prettier) json = await prettier.format(json, { parser: 'json', printWidth: 120 });
    writeFileSync(join(here, 'results', 'realtime.json'), json);
    console.log(results.table);
    console.log(`\nwritten tools/bench/results/realtime.json (${results.seconds} s)`);
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
