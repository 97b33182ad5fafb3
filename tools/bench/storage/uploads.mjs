import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { cpuMs } from '../lib/processes.mjs';
import { now, percentile } from '../lib/util.mjs';
import { memory, startApi } from './apps.mjs';
import { postMultipart, pseudoRandom, readAll, slices } from './http.mjs';
import { BUCKET, log, MB, MIB, mibPerSec, PART_SIZE, QUEUE_SIZE, round, UPLOAD_SIZE, UPLOADS } from './settings.mjs';

const require = createRequire(import.meta.url);
const { Upload } = require('@aws-sdk/lib-storage');

/**
 * B: N concurrent multipart submits of 10 MiB to a fresh api (no worker: the
 * tasks wait, nothing else loads the server), then N concurrent direct
 * Uploads of the same bytes from this process. Both S3 clients use the SDK's
 * default connection pool (50 sockets).
 */
export async function uploadScenario(ctx) {
  const content = await readAll(pseudoRandom(UPLOAD_SIZE, 'storage bench upload'));
  const api = await startApi(ctx);
  try {
    const boot = memory(api.pid);
    const cpu0 = { api: cpuMs(api.pid), s3: cpuMs(ctx.s3server.pid) };
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
    const cpu = { api: cpuMs(api.pid) - cpu0.api, s3: cpuMs(ctx.s3server.pid) - cpu0.s3 };
    const after = memory(api.pid);
    const statuses = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    const errors = answers
      .filter((a) => a.status !== 202)
      .slice(0, 3)
      .map((a) => a.body.slice(0, 300));

    log(`B: ${UPLOADS} concurrent direct Uploads of the same bytes`);
    const d0 = now();
    const dcpu0 = { self: cpuMs(process.pid), s3: cpuMs(ctx.s3server.pid) };
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
        cpuMs: { orchestrator: cpuMs(process.pid) - dcpu0.self, s3: cpuMs(ctx.s3server.pid) - dcpu0.s3 },
      },
      ratio: round(mibPerSec(total, apiMs) / mibPerSec(total, directMs), 3),
    };
  } finally {
    await api.stop();
  }
}
