// The realtime suite's processes and clients: the Stepwise apps
// (realtime-app.cjs), REST submits and Socket.IO clients of the api.
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDir } from '../build.mjs';
import { Child } from '../lib/processes.mjs';
import { now, sleep } from '../lib/util.mjs';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const here = dirname(fileURLToPath(import.meta.url));

export async function startApp(ctx, name, role, extra = {}) {
  const env = {
    BENCH_ROLE: role,
    BENCH_BUILD_DIR: buildDir,
    DATABASE_URL: ctx.pgServer.url,
    REDIS_URL: ctx.redisServer.url,
    DATA_DIR: ctx.dataDir,
    ...extra,
  };
  const child = Child.fork(name, join(here, '..', 'realtime-app.cjs'), [], env, { timeoutMs: 60_000 });
  ctx.children.push(child);
  const ready = await child.wait((m) => m.ready, 60_000);
  return { child, settings: ready.settings };
}

/** POST /tasks/rt-bench as `owner`; resolves with the task id. */
export function submit(agent, port, owner, input) {
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
export async function lanes(n, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, width) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** A Socket.IO client of the api's `/tasks` namespace, as owner `owner`, that records what it gets. */
export function openClient(port, owner) {
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

export async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(20);
  }
}
