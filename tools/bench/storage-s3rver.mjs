// The S3 server of tools/bench/storage.mjs: s3rver (npm) in its own process
// (forked, IPC channel), on a free loopback port, storing into DATA dir,
// with one bucket. Its CPU is then its own, not the orchestrator's.
//
//   argv: <directory> <bucket>
//   sends { ready: true, port, pid } once listening; { cmd: 'stop' } closes it and exits.
//
// What s3rver 3.7 lacks and the benchmark may need is answered in front of it,
// as the test harness does (test/distributed/harness/s3-server.ts):
// AbortMultipartUpload (s3rver answers 405; lib-storage sends it when an
// upload fails), so that a failure reads as the real error.
import { createRequire } from 'node:module';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) throw new Error('usage: storage-s3rver.mjs <directory> <bucket>');

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
});

// Runs before s3rver's router (Koa composes its middleware when it starts listening).
server.middleware.unshift(async (ctx, next) => {
  const segments = ctx.path.split('/').filter(Boolean);
  const uploadId = ctx.query.uploadId;
  if (ctx.method === 'DELETE' && segments[0] === bucket && segments.length > 1 && typeof uploadId === 'string') {
    const dir = join(directory, bucket, '._S3rver_uploads', uploadId);
    if (/^[0-9a-f]+$/.test(uploadId) && (await stat(dir).catch(() => null))) {
      await rm(dir, { recursive: true, force: true });
    }
    ctx.status = 204;
    return;
  }
  return next();
});

const { port } = await server.run();
process.on('message', async (msg) => {
  if (msg?.cmd !== 'stop') return;
  server.httpServer?.closeAllConnections();
  await server.close().catch(() => undefined);
  process.send({ ok: true }, () => process.exit(0));
});
// The orchestrator died: nothing may outlive it.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, port, pid: process.pid });
