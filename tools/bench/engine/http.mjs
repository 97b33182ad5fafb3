// Stepwise through HTTP: E (POST /tasks/noop to a Stepwise api process, the
// worker of stepwise.mjs behind it) and F (the built api and worker apps,
// POST /tasks/countdown).
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildDir } from '../build.mjs';
import { App, httpReady } from '../lib/processes.mjs';
import { now, sleep, summary } from '../lib/util.mjs';
import {
  CONCURRENCY,
  GAP_MS,
  IN_FLIGHT,
  latencies,
  measureThroughput,
  N,
  pickupOf,
  waitFinished,
  waitFinishedByType,
} from './common.mjs';
import { startStepwise } from './stepwise.mjs';

const here = dirname(fileURLToPath(import.meta.url));

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

export async function httpNoopScenario(ctx, worker) {
  const port = await ctx.harness.freePort();
  const api = await startStepwise(ctx, 'stepwise http api', 'api', { BENCH_HTTP_PORT: String(port) });
  try {
    const body = (t0) => ({ t0 });
    body.path = '/tasks/noop';
    await httpSubmitAll(port, N.warmup, IN_FLIGHT, 0, body, { 'x-owner-id': 'http-warmup' });
    await waitFinished(ctx, null, 'http-warmup', N.warmup, 120_000);
    await worker.ask({ cmd: 'collect' });

    const n = N.httpThroughput;
    const throughput = await measureThroughput(
      ctx,
      { worker: worker.proc.pid, api: api.proc.pid },
      n,
      () => httpSubmitAll(port, n, IN_FLIGHT, 0, body, { 'x-owner-id': 'http-throughput' }),
      (meter) => waitFinished(ctx, meter, 'http-throughput', n, 300_000),
      async (sub) => ({
        statuses: sub.statuses,
        requestMs: summary(sub.requestMs),
        pickupUnderLoadMs: summary(latencies((await worker.ask({ cmd: 'collect' })).starts)),
      }),
    );
    await sleep(500);
    const lat = await httpSubmitAll(port, N.httpLatency, 1, GAP_MS, body, { 'x-owner-id': 'http-latency' });
    await waitFinished(ctx, null, 'http-latency', N.httpLatency, 60_000);
    const { starts } = await worker.ask({ cmd: 'collect' });
    return {
      throughput,
      pickup: pickupOf(starts, 'fromRequestStartMs', { requestMs: summary(lat.requestMs) }),
    };
  } finally {
    await api.stop();
  }
}

/** Starts the liveness probe in its own process, resolves once it is warm; `stop()` resolves with what it measured. */
async function probe(port, path, everyMs) {
  const child = fork(join(here, 'liveness-probe.mjs'), [String(port), path, String(everyMs)]);
  const next = () =>
    new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('error', reject);
    });
  await next(); // { ready }
  const result = next();
  return {
    async stop() {
      child.send({ cmd: 'stop' });
      return result;
    },
  };
}

export async function builtAppsScenario(ctx) {
  const port = await ctx.harness.freePort();
  const env = {
    TASKS_MODE: 'distributed',
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    TASKS_CONCURRENCY: String(CONCURRENCY),
  };
  const api = new App('api app', join(buildDir, 'apps/api/src/main.js'), { ...env, PORT: String(port) });
  const worker = new App('worker app', join(buildDir, 'apps/worker/src/main.js'), env);
  try {
    await api.ready(() => httpReady(port));
    await worker.ready(async (p) => p.output.join('').includes('worker started'));
    const body = () => ({ ticks: 1, tickMs: 0 });
    body.path = '/tasks/countdown';
    const warmStart = Date.now();
    await httpSubmitAll(port, N.warmup, IN_FLIGHT, 0, body);
    await waitFinishedByType(ctx, null, 'countdown', warmStart, N.warmup, 120_000);

    const n = N.appsThroughput;
    const since = Date.now();
    // GET /health/live while the submits arrive: it must answer fast however busy the API is.
    let liveness;
    const result = await measureThroughput(
      ctx,
      { worker: worker.proc.pid, api: api.proc.pid },
      n,
      async () => {
        const live = await probe(port, '/health/live', 20);
        try {
          return await httpSubmitAll(port, n, IN_FLIGHT, 0, body);
        } finally {
          liveness = await live.stop();
        }
      },
      (meter) => waitFinishedByType(ctx, meter, 'countdown', since, n, 300_000),
      async (sub) => ({ statuses: sub.statuses, requestMs: summary(sub.requestMs) }),
    );
    return { ...result, liveness };
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}
