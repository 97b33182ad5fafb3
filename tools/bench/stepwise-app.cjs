// One Stepwise process of the benchmark, forked by run.mjs (IPC channel):
// a Nest application context (or an HTTP app when BENCH_HTTP_PORT is set)
// with TaskModule.forRoot in distributed mode and a 1-step no-op task.
//
//   BENCH_ROLE       api | worker
//   BENCH_BUILD_DIR  the compiled workspace (tools/bench/tmp/build)
//   DATABASE_URL, REDIS_URL, DATA_DIR, BENCH_CONCURRENCY, BENCH_HTTP_PORT
//
// Commands (process.send / 'message'):
//   { cmd: 'submit', n, inflight, owner, gapMs }  -> { ok, t0, t1, submitMs[] }
//   { cmd: 'submitMany', n, batch, owner }         -> { ok, t0, t1 }   TaskEngine.submitMany, one batch at a time
//   { cmd: 'collect' }                             -> { ok, starts: [[taskId, t0, stepStart]] }
//   { cmd: 'profile', on }                         -> { ok }   wraps the ports to time each call
//   { cmd: 'trace' }                               -> { ok, trace: [[label, taskId, start, end]] }
//   { cmd: 'stop' }                                -> closes the app, exits
'use strict';
require('reflect-metadata');
const { join } = require('node:path');

const buildDir = process.env.BENCH_BUILD_DIR;
const { Task, Step, TaskModule, TaskEngine, HeaderOwnerResolver } = require(
  join(buildDir, 'node_modules/@stepwise/tasks'),
);
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

/** Wall-clock milliseconds with sub-ms resolution, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

const role = process.env.BENCH_ROLE;
const httpPort = process.env.BENCH_HTTP_PORT ? Number(process.env.BENCH_HTTP_PORT) : undefined;
/** [taskId, submit start carried in the input, step start] of every step run here. */
let starts = [];
/** [label, taskId, start, end] of every wrapped port call while profiling. */
let trace = [];
let profiling = false;

class NoopTask {
  async run(ctx) {
    const start = now();
    if (profiling) trace.push(['step.start', ctx.taskId, start, start]);
    if (ctx.input && typeof ctx.input.t0 === 'number') starts.push([ctx.taskId, ctx.input.t0, start]);
    return null;
  }
}
Task({ name: 'noop', queue: 'bench' })(NoopTask);
Step({ order: 1, on: 'worker' })(NoopTask.prototype, 'run', Object.getOwnPropertyDescriptor(NoopTask.prototype, 'run'));

class BenchModule {}
Module({
  imports: [
    TaskModule.forRoot({
      mode: 'distributed',
      role,
      databaseUrl: process.env.DATABASE_URL,
      redisUrl: process.env.REDIS_URL,
      dataDir: process.env.DATA_DIR,
      engine: { concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50) },
      // The HTTP scenario tags each run with its own owner.
      ownerResolver: new HeaderOwnerResolver('x-owner-id'),
      openApi: false,
    }),
  ],
  providers: [NoopTask],
})(BenchModule);

/** Replaces `obj[method]` by a timed copy that appends to `trace` while profiling. */
function wrap(obj, method, label, idOf) {
  if (!obj || typeof obj[method] !== 'function') return;
  const original = obj[method].bind(obj);
  obj[method] = async (...args) => {
    if (!profiling) return original(...args);
    const start = now();
    try {
      return await original(...args);
    } finally {
      trace.push([label, idOf(args), start, now()]);
    }
  };
}

function instrument(engine) {
  const { deps } = engine;
  wrap(deps.store, 'create', 'store.create', ([t]) => t.id);
  wrap(deps.store, 'claim', 'store.claim', ([r]) => r.taskId);
  wrap(deps.store, 'save', 'store.save', ([t]) => t.id);
  wrap(deps.store, 'appendEvent', 'store.appendEvent', ([e]) => e.taskId);
  wrap(deps.store, 'renewLease', 'store.renewLease', ([id]) => id);
  wrap(deps.bus, 'publish', 'bus.publish', ([e]) => e.taskId);
  wrap(deps.queue, 'dispatch', 'queue.dispatch', ([m]) => m.taskId);
  if (deps.notifier) wrap(deps.notifier, 'notify', 'notifier.notify', ([t]) => t.id);
  wrap(engine.worker, 'handle', 'worker.handle', ([id]) => id);
  wrap(engine, 'submit', 'engine.submit', () => '');
}

async function submitAll(engine, { n, inflight, owner, gapMs }) {
  const submitMs = new Array(n);
  let next = 0;
  const t0 = now();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const start = now();
      await engine.submit({ type: 'noop', input: { t0: start }, owner });
      submitMs[i] = now() - start;
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, inflight) }, lane));
  return { t0, t1: now(), submitMs };
}

async function submitBatches(engine, { n, batch, owner }) {
  const t0 = now();
  for (let i = 0; i < n; i += batch) {
    const inputs = [];
    for (let j = i; j < Math.min(n, i + batch); j++) inputs.push({ i: j });
    await engine.submitMany('noop', inputs, { owner });
  }
  return { t0, t1: now() };
}

async function main() {
  const app = httpPort
    ? await NestFactory.create(BenchModule, { logger: ['error', 'warn'], abortOnError: false })
    : await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'], abortOnError: false });
  if (httpPort) await app.listen(httpPort, '127.0.0.1');
  else await app.init();
  const engine = app.get(TaskEngine);
  instrument(engine);
  // The library's timers are unref'd: keep the process up until told to stop.
  const keepAlive = setInterval(() => undefined, 2 ** 30);

  process.on('message', async (msg) => {
    try {
      switch (msg.cmd) {
        case 'submit':
          process.send({ ok: true, ...(await submitAll(engine, msg)) });
          break;
        case 'submitMany':
          process.send({ ok: true, ...(await submitBatches(engine, msg)) });
          break;
        case 'collect':
          process.send({ ok: true, starts });
          starts = [];
          break;
        case 'profile':
          profiling = Boolean(msg.on);
          trace = [];
          process.send({ ok: true });
          break;
        case 'trace':
          process.send({ ok: true, trace });
          trace = [];
          break;
        case 'stop':
          clearInterval(keepAlive);
          await app.close();
          process.send({ ok: true }, () => process.exit(0));
          break;
        default:
          process.send({ ok: false, error: `unknown command ${msg.cmd}` });
      }
    } catch (error) {
      process.send({ ok: false, error: String(error && error.stack ? error.stack : error) });
    }
  });
  process.send({ ready: true, pid: process.pid });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
