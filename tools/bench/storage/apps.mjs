// The built api and worker apps of the storage suite, on the suite's servers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, httpReady } from '../lib/processes.mjs';
import { cleanups } from './cleanup.mjs';

/** Peak (VmHWM) and current (VmRSS) resident set size of a process, in bytes. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

function appEnv(ctx) {
  return {
    NO_COLOR: '1',
    TASKS_MODE: 'distributed',
    DATABASE_URL: ctx.pg.url,
    REDIS_URL: ctx.redis.url,
    DATA_DIR: ctx.dataDir,
    TASKS_SHUTDOWN_GRACE_MS: '1000',
    ...ctx.s3server.env,
  };
}

export async function startApi(ctx) {
  const port = await ctx.harness.freePort();
  const api = new App('api', join(ctx.build, 'apps/api/src/main.js'), { ...appEnv(ctx), PORT: String(port) });
  api.port = port;
  cleanups.push(() => api.kill());
  return api.ready(() => httpReady(port), 40_000);
}

export async function startWorker(ctx) {
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const worker = new App('worker', join(ctx.build, 'apps/worker/src/main.js'), appEnv(ctx), nodeArgs);
  cleanups.push(() => worker.kill());
  return worker.ready(async (w) => w.output.join('').includes('worker started'), 40_000);
}
