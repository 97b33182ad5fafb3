// A of the storage suite: the create-zip step, S3 -> ZIP -> S3, against a raw
// GetObject -> Upload copy of the same bytes on the same server.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { cpuMs } from '../lib/processes.mjs';
import { now } from '../lib/util.mjs';
import { memory, startWorker } from './apps.mjs';
import { getJson, postMultipart, pseudoRandom, waitTask } from './http.mjs';
import { BUCKET, log, MB, MIB, mibPerSec, PART_SIZE, QUEUE_SIZE, round, ZIP_FILES } from './settings.mjs';

const require = createRequire(import.meta.url);
const { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');

/**
 * The raw baseline of A: every input streamed by GetObject, in order, into one
 * lib-storage Upload (S3Storage's part size and queue), with backpressure.
 */
export async function rawCopy(ctx, keys, destination) {
  const body = new PassThrough();
  const upload = new Upload({
    client: ctx.s3,
    params: { Bucket: BUCKET, Key: destination, Body: body },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  const cpu0 = { self: cpuMs(process.pid), s3: cpuMs(ctx.s3server.pid) };
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
    cpuMs: { orchestrator: cpuMs(process.pid) - cpu0.self, s3: cpuMs(ctx.s3server.pid) - cpu0.s3 },
  };
}

/**
 * A at one size: the 8 inputs submitted through the api (no worker running
 * yet: the task waits), the raw copy of the stored inputs, then a fresh worker
 * that runs the ZIP step; the step's own start and end (from the task view)
 * time it, and the worker's VmHWM is read once it is done.
 */
export async function zipScenario(ctx, total, label) {
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
    const cpu0 = { worker: cpuMs(worker.pid), s3: cpuMs(ctx.s3server.pid) };
    const view = await waitTask(ctx.api.port, id, (v) => v.status === 'completed', 10 * 60_000);
    const cpu = { worker: cpuMs(worker.pid) - cpu0.worker, s3: cpuMs(ctx.s3server.pid) - cpu0.s3 };
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
