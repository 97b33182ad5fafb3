// Issue 4's storage benchmark, in one run against one S3 server (the test
// harness's: moto, or s3rver where moto is not installed; in a process of its
// own, on a free loopback port):
//
//   A. A ZIP of 8 files, S3 -> ZIP -> S3, by the create-zip worker step of a
//      real worker process (apps/worker of the built workspace, distributed
//      mode: PostgreSQL and Redis from the test harness, the api of the build in
//      front), against a raw stream copy of the same bytes on the same server
//      (GetObject of each input, piped into one lib-storage Upload with the
//      part size and queue of S3Storage). At 100 MiB and at 1 GiB: the
//      worker's peak RSS (VmHWM) at each size, one fresh worker per size.
//   B. N concurrent multipart submits of 10 MiB each (`POST /tasks/create-zip`,
//      one `files` part) to a fresh api on S3 storage: all must answer 202;
//      the api's peak RSS, and the throughput against N concurrent direct
//      lib-storage Uploads of the same bytes from this process.
//
// The inputs are pseudo-random (AES-256-CTR of zeros), so the server stores
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
//
// The scenarios: storage/zip.mjs (A), storage/uploads.mjs (B); storage/apps.mjs
// starts the apps, storage/s3.mjs the S3 server, storage/table.mjs prints the report.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { build, root } from './build.mjs';
import { harness } from './lib/harness.mjs';
import { writeResults } from './lib/results.mjs';
import { SCALE } from './lib/util.mjs';
import { startApi } from './storage/apps.mjs';
import { cleanup, cleanups } from './storage/cleanup.mjs';
import { startS3Server } from './storage/s3.mjs';
import {
  elapsedSeconds,
  log,
  PART_SIZE,
  QUEUE_SIZE,
  round,
  TARGETS,
  ZIP_LARGE,
  ZIP_SMALL,
} from './storage/settings.mjs';
import { table } from './storage/table.mjs';
import { uploadScenario } from './storage/uploads.mjs';
import { zipScenario } from './storage/zip.mjs';

const require = createRequire(import.meta.url);
const { S3Client } = require('@aws-sdk/client-s3');

// The SDK's notice about Node 20 support (once per process, children included) is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main() {
  const ctx = {};
  const tmp = mkdtempSync(join(tmpdir(), 'stepwise-storage-bench-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

  log('build');
  ctx.build = join(root, 'tools', 'bench', 'tmp', `storage-build-${process.pid}`);
  cleanups.push(() => rmSync(ctx.build, { recursive: true, force: true }));
  // A directory of this run only: a concurrent build of dist/ cannot pull it away.
  build(ctx.build);
  ctx.harness = harness(ctx.build);
  const { PostgresServer, RedisServer } = ctx.harness;

  log('servers: S3, PostgreSQL, Redis');
  ctx.s3server = await startS3Server(ctx.build);
  cleanups.push(() => ctx.s3server.stop());
  log(`S3 server: ${ctx.s3server.name}`);
  ctx.pg = new PostgresServer();
  cleanups.push(() => ctx.pg.stop());
  ctx.redis = new RedisServer();
  cleanups.push(() => ctx.redis.stop());
  await Promise.all([ctx.pg.start(), ctx.redis.start()]);
  ctx.dataDir = join(tmp, 'data');
  mkdirSync(ctx.dataDir);

  const { env } = ctx.s3server;
  const client = () =>
    new S3Client({
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY },
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
    mode: `distributed (PostgreSQL + Redis), storage S3 (${ctx.s3server.name} in its own process), built apps/api and apps/worker`,
    inputs: 'pseudo-random (AES-256-CTR), named part-N.jpg: stored in the ZIP, not deflated',
    targets: TARGETS,
    s3: { server: ctx.s3server.name, partSize: PART_SIZE, queueSize: QUEUE_SIZE },
  };

  log('api start (migrations)');
  ctx.api = await startApi(ctx);
  results.zip = {};
  results.zip.small = await zipScenario(ctx, ZIP_SMALL, 'zip-small');
  results.zip.large = await zipScenario(ctx, ZIP_LARGE, 'zip-large');
  await ctx.api.stop();

  results.upload = await uploadScenario(ctx);
  results.seconds = elapsedSeconds();
  results.machine.loadAverageAtEnd = loadavg().map((x) => round(x, 2));
  results.table = table(results);

  await writeResults('storage.json', results, results.table);
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
