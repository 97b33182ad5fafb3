// Issue 4's storage benchmark, in one run against one S3 server (s3rver,
// started here on a free loopback port, its data in a temp dir):
//
//   A. A ZIP of 8 files, S3 -> ZIP -> S3, by the create-zip worker step of a
//      real worker process (apps/worker of the built workspace, distributed
//      mode: PostgreSQL and Redis from servers.mjs, the api of the build in
//      front), against a raw stream copy of the same bytes on the same server
//      (GetObject of each input, piped into one lib-storage Upload with the
//      part size and queue of S3Storage). At 100 MiB and at 1 GiB: the
//      worker's peak RSS (VmHWM) at each size, one fresh worker per size.
//   B. N concurrent multipart submits of 10 MiB each (`POST /tasks/create-zip`,
//      one `files` part) to a fresh api on S3 storage: all must answer 202;
//      the api's peak RSS, and the throughput against N concurrent direct
//      lib-storage Uploads of the same bytes from this process.
//
// The inputs are pseudo-random (AES-256-CTR of zeros), so s3rver's disk sees
// real bytes, and they are named `part-N.jpg`: create-zip stores formats that
// are already compressed (ALREADY_COMPRESSED in create-zip.task.ts) instead of
// deflating them. Named `.bin`, they would be deflated: zlib (level 6) runs at
// ~30 MiB/s on one core of this machine for random data and gains nothing
// (the output is 0.03% larger), so the run would measure zlib, not storage.
//
//   node tools/bench/storage.mjs          full run: 1 GiB ZIP, 100 uploads
//   BENCH_SCALE=0.1 node tools/bench/storage.mjs   quick: 102 MiB ZIP, 10 uploads
//
// BENCH_WORKER_NODE_ARGS='...' adds node flags to the workers (e.g.
// `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where a ZIP step spends its time).
//
// Results: tools/bench/results/storage.json and a markdown table on stdout.
// Everything started here (servers, apps, temp dirs, the build) is cleaned
// up on success, failure, Ctrl-C or a stuck run (deadline).
import { fork, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { build as buildWorkspace } from '../build.mjs';
import { freePort, PostgresServer, RedisServer } from './servers.mjs';

const require = createRequire(import.meta.url);
const { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MIB = 1024 * 1024;
const MB = 1e6;
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
if (!(SCALE > 0)) throw new Error('BENCH_SCALE must be a positive number');

const ZIP_FILES = 8;
/** The two ZIP sizes (total of the 8 inputs), each a multiple of 8 x 64 KiB. */
const zipTotal = (bytes) => Math.max(1, Math.round((bytes * SCALE) / ZIP_FILES / 65536)) * 65536 * ZIP_FILES;
const ZIP_SMALL = zipTotal(100 * MIB);
const ZIP_LARGE = zipTotal(1024 * MIB);
const UPLOADS = Math.max(10, Math.round(100 * SCALE));
const UPLOAD_SIZE = 10 * MIB;
/** S3Storage's defaults (libs/tasks/src/adapters/s3/s3-storage.ts), used by the baselines too. */
const PART_SIZE = 8 * MIB;
const QUEUE_SIZE = 4;
const BUCKET = 'stepwise-bench';
const TARGETS = { zipRatio: 0.7, workerPeakRssMB: 150, workerRssSpread: 0.2, apiPeakRssMB: 300 };
/** A run that takes longer than this is stuck: clean up and fail. */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_MS ?? 15 * 60_000);

// The SDK's notice about Node 20 support (once per process, children included) is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, digits = 1) => (x === null || x === undefined ? x : Number(x.toFixed(digits)));
const mibPerSec = (bytes, ms) => bytes / MIB / (ms / 1000);
const started = Date.now();
const log = (what) => console.error(`[storage bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${what}`);

// ---------------------------------------------------------------- cleanup

/** Undo actions, run in reverse order, once, whatever happens. */
const cleanups = [];
/** Every child process, killed synchronously on exit as a last resort. */
const children = new Set();
let cleaning;

function cleanup() {
  cleaning ??= (async () => {
    for (const undo of cleanups.splice(0).reverse()) {
      try {
        await undo();
      } catch (error) {
        console.error(`cleanup: ${error}`);
      }
    }
  })();
  return cleaning;
}

process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}
setTimeout(() => {
  console.error(`storage bench: not done after ${DEADLINE_MS / 1000} s, giving up`);
  cleanup().finally(() => process.exit(1));
}, DEADLINE_MS).unref();

// ---------------------------------------------------------------- processes

/** Peak (VmHWM) and current (VmRSS) resident set size of a process, in bytes. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb('VmHWM'), rss: kb('VmRSS') };
}

/** CPU time (user + system) of a process, in ms. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** An app of the build, spawned (stdout/stderr kept), stopped with SIGTERM then SIGKILL. */
class App {
  constructor(name, entry, env, nodeArgs = []) {
    this.name = name;
    this.output = [];
    this.proc = spawn(process.execPath, [...nodeArgs, entry], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(this.proc);
    this.proc.stdout.on('data', (d) => this.output.push(String(d)));
    this.proc.stderr.on('data', (d) => this.output.push(String(d)));
    this.proc.once('exit', () => children.delete(this.proc));
  }

  get pid() {
    return this.proc.pid;
  }

  tail(lines = 40) {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }

  async ready(check, timeoutMs = 40_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`${this.name} exited early:\n${this.tail()}`);
      if (await check(this).catch(() => false)) return this;
      await sleep(100);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** At once (the cleanup after a failure): nothing of the run needs a graceful end then. */
  async kill() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    this.proc.kill('SIGKILL');
    await exited;
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** s3rver in its own process (storage-s3rver.mjs). */
async function startS3rver(directory) {
  const proc = fork(join(here, 'storage-s3rver.mjs'), [directory, BUCKET], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(proc);
  const output = [];
  proc.stdout.on('data', (d) => output.push(String(d)));
  proc.stderr.on('data', (d) => output.push(String(d)));
  proc.once('exit', () => children.delete(proc));
  const ready = await Promise.race([
    once(proc, 'message').then(([msg]) => msg),
    once(proc, 'exit').then(() => {
      throw new Error(`s3rver exited early:\n${output.join('')}`);
    }),
  ]);
  return {
    port: ready.port,
    pid: proc.pid,
    endpoint: `http://127.0.0.1:${ready.port}`,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.send({ cmd: 'stop' });
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------- data and HTTP

/** `size` deterministic pseudo-random bytes (AES-256-CTR of zeros keyed by `seed`), in 64 KiB chunks. */
function pseudoRandom(size, seed) {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(64 * 1024);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(zeros.length, size - produced);
      produced += n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A buffer as a stream of 64 KiB slices (no copy), as a socket would deliver it. */
function slices(buffer) {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buffer.length; i += 65536) yield buffer.subarray(i, i + 65536);
    })(),
    { objectMode: false },
  );
}

/**
 * POSTs multipart/form-data with an exact Content-Length: the text fields,
 * then one `files` part per file, each body streamed from `file.body()`.
 */
async function postMultipart(port, path, fields, files, agent) {
  const boundary = `----stepwise-bench-${Math.random().toString(16).slice(2)}`;
  const fieldText = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  const heads = files.map(
    (f, i) =>
      `${i > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\n` +
      `Content-Type: ${f.contentType ?? 'application/octet-stream'}\r\n\r\n`,
  );
  const tail = `\r\n--${boundary}--\r\n`;
  const length =
    Buffer.byteLength(fieldText) +
    heads.reduce((n, h) => n + Buffer.byteLength(h), 0) +
    files.reduce((n, f) => n + f.size, 0) +
    Buffer.byteLength(tail);
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
  });
  const answered = new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  async function* body() {
    yield Buffer.from(fieldText);
    for (const [i, file] of files.entries()) {
      yield Buffer.from(heads[i]);
      yield* file.body();
    }
    yield Buffer.from(tail);
  }
  // An early answer (an error) may cut the upload: the answer is what counts.
  const sent = pipeline(Readable.from(body(), { objectMode: false }), req).catch((error) => error);
  const res = await answered;
  const text = (await readAll(res)).toString('utf8');
  await sent;
  return { status: res.statusCode, body: text };
}

async function getJson(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function waitTask(port, id, done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await getJson(port, `/tasks/${id}`);
    if (done(view)) return view;
    if (['failed', 'cancelled'].includes(view.status))
      throw new Error(`task ${id} ${view.status}: ${JSON.stringify(view)}`);
    if (Date.now() > deadline) throw new Error(`task ${id} stuck after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await sleep(100);
  }
}

const httpReady = async (port) => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------- scenarios

/**
 * The raw baseline of A: every input streamed by GetObject, in order, into one
 * lib-storage Upload (S3Storage's part size and queue), with backpressure.
 */
async function rawCopy(ctx, keys, destination) {
  const body = new PassThrough();
  const upload = new Upload({
    client: ctx.s3,
    params: { Bucket: BUCKET, Key: destination, Body: body },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  const cpu0 = { self: cpuMs(process.pid), s3rver: cpuMs(ctx.s3rver.pid) };
  const t0 = now();
  const done = upload.done();
  let bytes = 0;
  const feeding = (async () => {
    for (const key of keys) {
      const out = await ctx.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      for await (const chunk of out.Body) {
        bytes += chunk.length;
        if (!body.write(chunk)) await once(body, 'drain');
      }
    }
    body.end();
  })();
  await Promise.all([feeding, done]);
  const ms = now() - t0;
  const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: destination }));
  if (head.ContentLength !== bytes) throw new Error(`raw copy: ${head.ContentLength} bytes stored, ${bytes} read`);
  return {
    bytes,
    ms: round(ms),
    mibPerSec: round(mibPerSec(bytes, ms)),
    cpuMs: { orchestrator: cpuMs(process.pid) - cpu0.self, s3rver: cpuMs(ctx.s3rver.pid) - cpu0.s3rver },
  };
}

/**
 * A at one size: the 8 inputs submitted through the api (no worker running
 * yet: the task waits), the raw copy of the stored inputs, then a fresh worker
 * that runs the ZIP step; the step's own start and end (from the task view)
 * time it, and the worker's VmHWM is read once it is done.
 */
async function zipScenario(ctx, total, label) {
  const fileSize = total / ZIP_FILES;
  const files = Array.from({ length: ZIP_FILES }, (_, i) => ({
    name: `part-${i + 1}.jpg`,
    contentType: 'image/jpeg',
    size: fileSize,
    body: () => pseudoRandom(fileSize, `storage bench ${label} ${i}`),
  }));
  log(`A ${label}: upload ${ZIP_FILES} x ${(fileSize / MIB).toFixed(1)} MiB through the api`);
  const t0 = now();
  const submitted = await postMultipart(ctx.api.port, '/tasks/create-zip', { outputName: `${label}.zip` }, files);
  const uploadMs = now() - t0;
  if (submitted.status !== 202) throw new Error(`submit: HTTP ${submitted.status} ${submitted.body}`);
  const id = JSON.parse(submitted.body).id;
  // The api's step (acceptFiles) done: the task now waits for a worker.
  await waitTask(ctx.api.port, id, (v) => v.steps[0]?.status === 'completed', 60_000);

  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `tasks/${id}/input/` }));
  const keys = files.map((f, i) => `tasks/${id}/input/${i}-${f.name}`);
  const stored = new Map((listed.Contents ?? []).map((o) => [o.Key, o.Size]));
  for (const key of keys) if (stored.get(key) !== fileSize) throw new Error(`input ${key} missing or wrong size`);

  log(`A ${label}: raw GetObject -> Upload copy`);
  const raw = await rawCopy(ctx, keys, `baseline/${label}.bin`);

  log(`A ${label}: fresh worker runs the ZIP step`);
  const worker = await startWorker(ctx);
  try {
    const boot = memory(worker.pid);
    const cpu0 = { worker: cpuMs(worker.pid), s3rver: cpuMs(ctx.s3rver.pid) };
    const view = await waitTask(ctx.api.port, id, (v) => v.status === 'completed', 10 * 60_000);
    const cpu = { worker: cpuMs(worker.pid) - cpu0.worker, s3rver: cpuMs(ctx.s3rver.pid) - cpu0.s3rver };
    const after = memory(worker.pid);
    const step = view.steps.find((s) => s.name === 'createZipArchive');
    const stepMs = Date.parse(step.finishedAt) - Date.parse(step.startedAt);
    const result = await getJson(ctx.api.port, `/tasks/${id}/result`);
    const output = result.output;
    if (output.entries.length !== ZIP_FILES || output.entries.some((e) => e.size !== fileSize)) {
      throw new Error(`unexpected ZIP entries: ${JSON.stringify(output.entries)}`);
    }
    // Stored, not deflated: the archive holds every input byte plus headers.
    if (output.size < total) throw new Error(`the ZIP (${output.size} bytes) is smaller than its inputs: deflated?`);
    return {
      taskId: id,
      files: ZIP_FILES,
      fileBytes: fileSize,
      totalBytes: total,
      zipBytes: output.size,
      upload: { ms: round(uploadMs), mibPerSec: round(mibPerSec(total, uploadMs)) },
      stepwise: { ms: stepMs, mibPerSec: round(mibPerSec(total, stepMs)), cpuMs: cpu },
      raw,
      ratio: round(mibPerSec(total, stepMs) / raw.mibPerSec, 3),
      worker: {
        bootPeakMB: round(boot.peak / MB),
        bootRssMB: round(boot.rss / MB),
        peakMB: round(after.peak / MB),
        rssAfterMB: round(after.rss / MB),
      },
    };
  } finally {
    await worker.stop();
  }
}

/**
 * B: N concurrent multipart submits of 10 MiB to a fresh api (no worker: the
 * tasks wait, nothing else loads the server), then N concurrent direct
 * Uploads of the same bytes from this process. Both S3 clients use the SDK's
 * default connection pool (50 sockets).
 */
async function uploadScenario(ctx) {
  const content = await readAll(pseudoRandom(UPLOAD_SIZE, 'storage bench upload'));
  const api = await startApi(ctx);
  try {
    const boot = memory(api.pid);
    const cpu0 = { api: cpuMs(api.pid), s3rver: cpuMs(ctx.s3rver.pid) };
    log(`B: ${UPLOADS} concurrent ${UPLOAD_SIZE / MIB} MiB submits to the api`);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const t0 = now();
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, async (_, i) => {
        const start = now();
        const file = { name: `upload-${i}.bin`, size: content.length, body: () => slices(content) };
        const res = await postMultipart(api.port, '/tasks/create-zip', {}, [file], agent).catch((error) => ({
          status: 0,
          body: String(error),
        }));
        return { ...res, ms: now() - start };
      }),
    );
    const apiMs = now() - t0;
    agent.destroy();
    const cpu = { api: cpuMs(api.pid) - cpu0.api, s3rver: cpuMs(ctx.s3rver.pid) - cpu0.s3rver };
    const after = memory(api.pid);
    const statuses = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const errors = answers
      .filter((a) => a.status !== 202)
      .slice(0, 3)
      .map((a) => a.body.slice(0, 300));

    log(`B: ${UPLOADS} concurrent direct Uploads of the same bytes`);
    const d0 = now();
    const dcpu0 = { self: cpuMs(process.pid), s3rver: cpuMs(ctx.s3rver.pid) };
    await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        new Upload({
          client: ctx.s3Direct,
          params: { Bucket: BUCKET, Key: `direct/${i}.bin`, Body: slices(content) },
          partSize: PART_SIZE,
          queueSize: QUEUE_SIZE,
          leavePartsOnError: false,
        }).done(),
      ),
    );
    const directMs = now() - d0;
    const total = UPLOADS * UPLOAD_SIZE;
    const requestMs = answers.map((a) => a.ms);
    return {
      uploads: UPLOADS,
      bytesEach: UPLOAD_SIZE,
      statuses,
      accepted: statuses[202] ?? 0,
      errors,
      api: {
        ms: round(apiMs),
        mibPerSec: round(mibPerSec(total, apiMs)),
        requestMs: { p50: round(percentile(requestMs, 50)), max: round(Math.max(...requestMs)) },
        bootPeakMB: round(boot.peak / MB),
        bootRssMB: round(boot.rss / MB),
        peakMB: round(after.peak / MB),
        rssAfterMB: round(after.rss / MB),
        cpuMs: cpu,
      },
      direct: {
        ms: round(directMs),
        mibPerSec: round(mibPerSec(total, directMs)),
        cpuMs: { orchestrator: cpuMs(process.pid) - dcpu0.self, s3rver: cpuMs(ctx.s3rver.pid) - dcpu0.s3rver },
      },
      ratio: round(mibPerSec(total, apiMs) / mibPerSec(total, directMs), 3),
    };
  } finally {
    await api.stop();
  }
}

// ---------------------------------------------------------------- apps

function appEnv(ctx) {
  return {
    NO_COLOR: '1',
    TASKS_MODE: 'distributed',
    DATABASE_URL: ctx.pg.url,
    REDIS_URL: ctx.redis.url,
    DATA_DIR: ctx.dataDir,
    TASKS_SHUTDOWN_GRACE_MS: '1000',
    S3_ENDPOINT: ctx.s3rver.endpoint,
    S3_REGION: 'us-east-1',
    S3_BUCKET: BUCKET,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: '1',
  };
}

async function startApi(ctx) {
  const port = await freePort();
  const api = new App('api', join(ctx.build, 'apps/api/src/main.js'), { ...appEnv(ctx), PORT: String(port) });
  api.port = port;
  cleanups.push(() => api.kill());
  return api.ready(() => httpReady(port));
}

async function startWorker(ctx) {
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const worker = new App('worker', join(ctx.build, 'apps/worker/src/main.js'), appEnv(ctx), nodeArgs);
  cleanups.push(() => worker.kill());
  return worker.ready(async (w) => w.output.join('').includes('worker started'));
}

// ---------------------------------------------------------------- report

function table(r) {
  const [small, large] = [r.zip.small, r.zip.large];
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  const mb = (x) => `${x.toFixed(1)} MB`;
  const spread = Math.abs(large.worker.peakMB - small.worker.peakMB) / small.worker.peakMB;
  const verdict = (ok) => (ok ? 'pass' : '**FAIL**');
  const sizeName = (bytes) =>
    bytes >= 1024 * MIB ? `${(bytes / 1024 / MIB).toFixed(2)} GiB` : `${round(bytes / MIB)} MiB`;
  const rows = [
    [
      `A. Stepwise create-zip, S3 → ZIP → S3 (${sizeName(large.totalBytes)}, 8 files, worker step)`,
      `${large.stepwise.mibPerSec} MiB/s`,
      '',
      '',
    ],
    ['A. raw GetObject → Upload copy, same bytes, same server', `${large.raw.mibPerSec} MiB/s`, '', ''],
    ['A. Stepwise / raw', pct(large.ratio), `≥ ${pct(TARGETS.zipRatio)}`, verdict(large.ratio >= TARGETS.zipRatio)],
    [
      `A. worker peak RSS (VmHWM), ${sizeName(small.totalBytes)} ZIP`,
      mb(small.worker.peakMB),
      `≤ ${TARGETS.workerPeakRssMB} MB`,
      verdict(small.worker.peakMB <= TARGETS.workerPeakRssMB),
    ],
    [
      `A. worker peak RSS (VmHWM), ${sizeName(large.totalBytes)} ZIP`,
      mb(large.worker.peakMB),
      `≤ ${TARGETS.workerPeakRssMB} MB`,
      verdict(large.worker.peakMB <= TARGETS.workerPeakRssMB),
    ],
    [
      'A. peak RSS, large vs small ZIP',
      `${pct(spread)} apart`,
      `within ${pct(TARGETS.workerRssSpread)}`,
      verdict(spread <= TARGETS.workerRssSpread),
    ],
    [
      `B. ${r.upload.uploads} concurrent ${r.upload.bytesEach / MIB} MiB multipart submits accepted (202)`,
      `${r.upload.accepted}/${r.upload.uploads}`,
      'all',
      verdict(r.upload.accepted === r.upload.uploads),
    ],
    [
      'B. api peak RSS (VmHWM)',
      mb(r.upload.api.peakMB),
      `≤ ${TARGETS.apiPeakRssMB} MB`,
      verdict(r.upload.api.peakMB <= TARGETS.apiPeakRssMB),
    ],
    ['B. upload throughput through the api (multipart → S3)', `${r.upload.api.mibPerSec} MiB/s`, '', ''],
    [`B. direct S3 Uploads, ${r.upload.uploads} concurrent, same bytes`, `${r.upload.direct.mibPerSec} MiB/s`, '', ''],
    ['B. api / direct', pct(r.upload.ratio), '', 'info'],
  ];
  const context = [
    `A at ${sizeName(small.totalBytes)}: Stepwise ${small.stepwise.mibPerSec} MiB/s, raw ${small.raw.mibPerSec} MiB/s (${pct(small.ratio)}).`,
    `Worker RSS after boot (VmRSS/VmHWM): ${small.worker.bootRssMB}/${small.worker.bootPeakMB} MB; ` +
      `api RSS after boot: ${r.upload.api.bootRssMB}/${r.upload.api.bootPeakMB} MB.`,
    `Upload of the ${sizeName(large.totalBytes)} inputs through the api (one multipart request): ${large.upload.mibPerSec} MiB/s.`,
    `CPU, ${sizeName(large.totalBytes)} ZIP: worker ${(large.stepwise.cpuMs.worker / 1000).toFixed(1)} s, s3rver ${(large.stepwise.cpuMs.s3rver / 1000).toFixed(1)} s; ` +
      `raw copy: orchestrator ${(large.raw.cpuMs.orchestrator / 1000).toFixed(1)} s, s3rver ${(large.raw.cpuMs.s3rver / 1000).toFixed(1)} s.`,
    `Inputs: pseudo-random bytes named .jpg, stored in the ZIP (not deflated). MB = 10^6 bytes, MiB = 2^20.`,
  ];
  // Before this run started (its own processes add about 2 once it runs): other work shares the CPUs.
  const load = r.machine.loadAverageAtStart[0];
  if (load > 1) context.push(`**Warning**: load average ${load} (1 min) at the start: other work shared the CPUs.`);
  const lines = [
    '| measurement | value | target | result |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    ...context.map((c) => `- ${c}`),
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main() {
  const ctx = {};
  const tmp = mkdtempSync(join(tmpdir(), 'stepwise-storage-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  log('build');
  ctx.build = join(root, 'tools', 'bench', 'tmp', `storage-build-${process.pid}`);
  cleanups.push(() => rmSync(ctx.build, { recursive: true, force: true }));
  // A directory of this run only: a concurrent build of dist/ cannot pull it away.
  buildWorkspace(ctx.build);

  log('servers: s3rver, PostgreSQL, Redis');
  const s3dir = join(tmp, 's3');
  mkdirSync(s3dir);
  ctx.s3rver = await startS3rver(s3dir);
  cleanups.push(() => ctx.s3rver.stop());
  ctx.pg = new PostgresServer();
  cleanups.push(() => ctx.pg.stop());
  ctx.redis = new RedisServer();
  cleanups.push(() => ctx.redis.stop());
  await Promise.all([ctx.pg.start(), ctx.redis.start()]);
  ctx.dataDir = join(tmp, 'data');
  mkdirSync(ctx.dataDir);

  const client = () =>
    new S3Client({
      region: 'us-east-1',
      endpoint: ctx.s3rver.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // As createS3Client does: no aws-chunked framing, which s3rver would store inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  ctx.s3 = client();
  ctx.s3Direct = client();
  cleanups.push(() => {
    ctx.s3.destroy();
    ctx.s3Direct.destroy();
  });

  const results = {
    date: new Date().toISOString(),
    scale: SCALE,
    machine: {
      cpus: cpus().length,
      memoryGiB: round(totalmem() / 1024 ** 3),
      node: process.version,
      cpu: cpus()[0]?.model,
      // Other work on the machine skews every number: see the warning under the table.
      loadAverageAtStart: loadavg().map((x) => round(x, 2)),
    },
    mode: 'distributed (PostgreSQL + Redis), storage S3 (s3rver in its own process), built apps/api and apps/worker',
    inputs: 'pseudo-random (AES-256-CTR), named part-N.jpg: stored in the ZIP, not deflated',
    targets: TARGETS,
    s3: { partSize: PART_SIZE, queueSize: QUEUE_SIZE },
  };

  log('api start (migrations)');
  ctx.api = await startApi(ctx);
  results.zip = {};
  results.zip.small = await zipScenario(ctx, ZIP_SMALL, 'zip-small');
  results.zip.large = await zipScenario(ctx, ZIP_LARGE, 'zip-large');
  await ctx.api.stop();

  results.upload = await uploadScenario(ctx);
  results.seconds = Math.round((Date.now() - started) / 1000);
  results.machine.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  results.table = table(results);

  mkdirSync(join(here, 'results'), { recursive: true });
  let json = JSON.stringify(results, null, 2);
  const prettier = await import('prettier').catch(() => null);
  if (prettier) json = await prettier.format(json, { parser: 'json', printWidth: 120 });
  writeFileSync(join(here, 'results', 'storage.json'), json);
  console.log(results.table);
  console.log(`\nwritten tools/bench/results/storage.json (${results.seconds} s)`);
}

main()
  .then(
    () => 0,
    (error) => {
      console.error(error);
      return 1;
    },
  )
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
