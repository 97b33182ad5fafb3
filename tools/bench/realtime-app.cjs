// One Stepwise process of the realtime benchmark (tools/bench/realtime.mjs),
// forked with an IPC channel: the HTTP + Socket.IO api (BENCH_HTTP_PORT set,
// BENCH_ROLE=api) or a worker (BENCH_ROLE=worker, a Nest application
// context), TaskModule.forRoot in distributed mode, and the one-step task
// `rt-bench` whose worker step reports progress with the wall-clock time of
// the call in the message: `t=<ms since the epoch, sub-ms>`.
//
//   BENCH_ROLE                 api | worker
//   BENCH_BUILD_DIR            the compiled workspace (tools/bench/tmp/build)
//   BENCH_HTTP_PORT            api only: the port of HTTP and Socket.IO (loopback)
//   BENCH_CONCURRENCY          engine.concurrency (tasks in parallel per process)
//   BENCH_ENGINE_THROTTLE_MS   engine.progressThrottleMs; unset: the library default
//   BENCH_RT_THROTTLE_MS       realtime.progressThrottleMs; unset: the library default
//   DATABASE_URL, REDIS_URL, DATA_DIR
//
// Input of `rt-bench`: { reports, gapMs, gate? }. The step waits for the
// worker's gate when `gate` is true (opened by the `release` command), then
// `reports` times: sleeps `gapMs`, calls ctx.progress(i / reports, 't=<now>').
//
// Commands (process.send / 'message'):
//   { cmd: 'release' }  -> { ok }   opens the gate (tasks waiting on it go on)
//   { cmd: 'collect' }  -> { ok, seen, saved, published }, for the `rt-bench` task.progress events:
//                          api: seen [[taskId, seq, at]], when each reached this process's event bus
//                          (listeners run in subscription order, the gateway's first: `at` is just
//                          after its emit); worker: saved [[taskId, seq, at]], when store.save (the
//                          progress and its event, one transaction) resolved, and published
//                          [[taskId, seq, start, end]], the bus.publish (Redis PUBLISH) call
//   { cmd: 'stop' }     -> closes the app, exits
// Ready message: { ready: true, pid, settings: { engineProgressThrottleMs, realtimeProgressThrottleMs, concurrency } }
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
const optionalInt = (name) =>
  process.env[name] === undefined || process.env[name] === '' ? undefined : Number(process.env[name]);

// The gate: tasks started with `gate: true` wait for the `release` command.
let openGate;
const gate = new Promise((resolve) => (openGate = resolve));

function abortable(promise, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

const sleep = (ms, signal) => abortable(new Promise((resolve) => setTimeout(resolve, ms)), signal);

class RealtimeBenchTask {
  async report(ctx) {
    const { reports = 1, gapMs = 0, gate: gated = false } = ctx.input ?? {};
    if (gated) await abortable(gate, ctx.signal);
    for (let i = 1; i <= reports; i++) {
      if (gapMs > 0) await sleep(gapMs, ctx.signal);
      ctx.progress(i / reports, `t=${now()}`);
    }
    return { reports };
  }
}
Task({ name: 'rt-bench', queue: 'realtime-bench', cancellable: true })(RealtimeBenchTask);
Step({ order: 1, on: 'worker' })(
  RealtimeBenchTask.prototype,
  'report',
  Object.getOwnPropertyDescriptor(RealtimeBenchTask.prototype, 'report'),
);

const engineThrottle = optionalInt('BENCH_ENGINE_THROTTLE_MS');
const realtimeThrottle = optionalInt('BENCH_RT_THROTTLE_MS');

class RealtimeBenchModule {}
Module({
  imports: [
    TaskModule.forRoot({
      mode: 'distributed',
      role,
      databaseUrl: process.env.DATABASE_URL,
      redisUrl: process.env.REDIS_URL,
      dataDir: process.env.DATA_DIR,
      engine: {
        concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
        ...(engineThrottle !== undefined ? { progressThrottleMs: engineThrottle } : {}),
      },
      ...(realtimeThrottle !== undefined ? { realtime: { progressThrottleMs: realtimeThrottle } } : {}),
      // Each benchmark client is its own owner (x-owner-id on the submit and on the handshake).
      ownerResolver: new HeaderOwnerResolver('x-owner-id'),
      openApi: false,
      dashboard: false,
    }),
  ],
  providers: [RealtimeBenchTask],
})(RealtimeBenchModule);

async function main() {
  // The orchestrator gone (even SIGKILLed): do not linger.
  process.on('disconnect', () => process.exit(1));
  const app = httpPort
    ? await NestFactory.create(RealtimeBenchModule, { logger: ['error', 'warn'], abortOnError: false })
    : await NestFactory.createApplicationContext(RealtimeBenchModule, {
        logger: ['error', 'warn'],
        abortOnError: false,
      });
  if (httpPort) await app.listen(httpPort, '127.0.0.1');
  else await app.init();
  const engine = app.get(TaskEngine);
  const resolved = app.get(Symbol.for('stepwise:ResolvedOptions'));
  // Timings of the `rt-bench` progress events, for the breakdown of the latency.
  const isProgress = (event) => event && event.type === 'task.progress' && event.taskType === 'rt-bench';
  let seen = [];
  let saved = [];
  let published = [];
  if (httpPort) {
    app.get(Symbol.for('stepwise:EventBus')).subscribe((event) => {
      if (isProgress(event)) seen.push([event.taskId, event.seq, now()]);
    });
  } else {
    // Wrapped on the instances the engine calls (engine.deps): the library itself is untouched.
    const { store, bus } = engine.deps;
    const save = store.save.bind(store);
    store.save = async (...args) => {
      const result = await save(...args);
      const event = args[3];
      if (isProgress(event)) saved.push([event.taskId, event.seq, now()]);
      return result;
    };
    const publish = bus.publish.bind(bus);
    bus.publish = async (event) => {
      const start = now();
      try {
        return await publish(event);
      } finally {
        if (isProgress(event)) published.push([event.taskId, event.seq, start, now()]);
      }
    };
  }
  // The library's timers are unref'd: keep the process up until told to stop.
  const keepAlive = setInterval(() => undefined, 2 ** 30);

  process.on('message', async (msg) => {
    try {
      switch (msg.cmd) {
        case 'release':
          openGate();
          process.send({ ok: true });
          break;
        case 'collect':
          process.send({ ok: true, seen, saved, published });
          seen = [];
          saved = [];
          published = [];
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
  process.send({
    ready: true,
    pid: process.pid,
    settings: {
      engineProgressThrottleMs: resolved.engine.progressThrottleMs,
      realtimeProgressThrottleMs: resolved.realtime.progressThrottleMs,
      concurrency: resolved.engine.concurrency,
    },
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
