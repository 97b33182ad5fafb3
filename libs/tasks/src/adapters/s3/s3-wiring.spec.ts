import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { S3Server } from '../../../../../test/distributed/harness/s3-server';
import { Step, Task, type StepContext } from '../../definition';
import { ResultDownloadService } from '../../http/result-download.service';
import type { TaskResultView, TaskView } from '../../web/task-view';
import { type TaskModuleOptions } from '../../core';
import { TaskModule } from '../../task.module';
import { OBJECT_STORAGE, TASK_STORE } from '../../core/tokens';
import type { ObjectStorage, TaskStore } from '../../ports';
import { createS3Client } from './s3-client';
import { S3Storage } from './s3-storage';

/** 300 kB of known bytes: byte i is (i * 7) mod 251. */
const REPORT = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Writes a result file through `ctx.storage`, whatever the storage is. */
@Task({ name: 'report' })
class ReportTask {
  @Step({ order: 1, on: 'worker' })
  async render(ctx: StepContext) {
    const key = `${ctx.storagePrefix}output/report.bin`;
    const stored = await ctx.storage.put(key, Readable.from([REPORT.subarray(0, 100_000), REPORT.subarray(100_000)]), {
      signal: ctx.signal,
      contentType: 'application/octet-stream',
    });
    ctx.setResultFile({
      key,
      name: 'rapport été.bin',
      size: stored.size,
      contentType: 'application/octet-stream',
      sha256: stored.sha256,
    });
    return { size: stored.size };
  }
}

const uploaded = z.object({ key: z.string(), name: z.string(), size: z.number(), sha256: z.string() });
const concatInput = z.object({ files: z.array(uploaded).min(1) });

/** Concatenates the files of a multipart submit (streamed to storage by the HTTP layer) into its result. */
@Task({ name: 'concat', acceptsFiles: true, input: concatInput })
class ConcatTask {
  @Step({ order: 1, on: 'worker' })
  async concat(ctx: StepContext<z.output<typeof concatInput>>) {
    const { storage, input } = ctx;
    async function* chunks() {
      for (const file of input.files) yield* await storage.get(file.key);
    }
    const key = `${ctx.storagePrefix}output/all.bin`;
    const stored = await storage.put(key, Readable.from(chunks()), { signal: ctx.signal });
    ctx.setResultFile({ key, name: 'all.bin', size: stored.size, contentType: 'application/octet-stream' });
    return { files: input.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })) };
  }
}

/** `TaskModule.forRoot()` on the test S3 server, with the given extra options. */
async function startApp(server: S3Server, dataDir: string, extra: TaskModuleOptions): Promise<INestApplication> {
  @Module({
    imports: [
      TaskModule.forRoot({
        dataDir,
        s3: { ...server.storageOptions, prefix: `wiring-${Math.random().toString(36).slice(2)}/` },
        engine: { sweepIntervalMs: 100 },
        health: true,
        ...extra,
      }),
    ],
    providers: [ReportTask, ConcatTask],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await app.init();
  return app;
}

/** Collects a supertest body as bytes, whatever its type. */
const binary = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('TaskModule with S3 storage (test S3 server)', () => {
  const server = new S3Server();
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-s3-wiring-'));
  let raw: S3Client;
  let app: INestApplication;
  let storage: ObjectStorage;
  const api = () => request(app.getHttpServer());

  beforeAll(async () => {
    await server.start();
    raw = createS3Client(server.storageOptions);
    app = await startApp(server, dataDir, { presignDownloads: { expiresInSeconds: 300 } });
    storage = app.get(OBJECT_STORAGE);
  });
  afterAll(async () => {
    await app?.close();
    (storage as S3Storage | undefined)?.destroy();
    raw?.destroy();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function run(type: string, submit: (req: request.Test) => request.Test): Promise<TaskView> {
    const res = await submit(api().post(`/tasks/${type}`));
    expect(res.status).toBe(202);
    const id = (res.body as TaskView).id;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const view = (await api().get(`/tasks/${id}`)).body as TaskView;
      if (['completed', 'failed', 'cancelled'].includes(view.status)) return view;
      if (Date.now() > deadline) throw new Error(`task ${id} stuck in ${view.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The bucket keys under the storage's prefix and `tasks/{id}/`. */
  async function bucketKeys(id: string): Promise<string[]> {
    const prefix = `${(storage as unknown as { keys: { root: string } }).keys.root}tasks/${id}/`;
    const out = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
  }

  it('chooses S3 storage when s3.bucket is set (embedded mode)', () => {
    expect(storage).toBeInstanceOf(S3Storage);
  });

  it('streams the result file from S3 on GET /download, with Content-Length, ETag and Range', async () => {
    const task = await run('report', (req) => req.send({}));
    expect(task.status).toBe('completed');
    expect(await bucketKeys(task.id)).toEqual(['output/report.bin']);

    const full = await api().get(`/tasks/${task.id}/download`).buffer(true).parse(binary);
    expect(full.status).toBe(200);
    expect(full.headers['content-length']).toBe(String(REPORT.length));
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.headers.etag).toBe(`"${sha256(REPORT)}"`);
    expect(full.headers['content-disposition']).toContain(`filename*=UTF-8''rapport%20%C3%A9t%C3%A9.bin`);
    expect((full.body as Buffer).equals(REPORT)).toBe(true);

    for (const [range, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=1000-1999', 1000, 1999],
      ['bytes=-10', REPORT.length - 10, REPORT.length - 1],
      ['bytes=299990-', 299_990, REPORT.length - 1],
    ] as const) {
      const part = await api().get(`/tasks/${task.id}/download`).set('Range', range).buffer(true).parse(binary);
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${REPORT.length}`);
      expect((part.body as Buffer).equals(REPORT.subarray(start, end + 1))).toBe(true);
    }
    const outside = await api().get(`/tasks/${task.id}/download`).set('Range', 'bytes=400000-');
    expect(outside.status).toBe(416);
  });

  it('streams multipart uploads into S3 and the task reads them back from there', async () => {
    const a = randomBytes(70_000);
    const b = Buffer.from('second file\n');
    const task = await run('concat', (req) =>
      req.attach('files', a, 'a.bin').attach('files', b, { filename: 'b é.txt', contentType: 'text/plain' }),
    );
    expect(task.status).toBe('completed');
    expect(await bucketKeys(task.id)).toEqual(['input/0-a.bin', 'input/1-b é.txt', 'output/all.bin']);
    const result = (await api().get(`/tasks/${task.id}/result`)).body as TaskResultView;
    expect(result.output).toEqual({
      files: [
        { name: 'a.bin', size: a.length, sha256: sha256(a) },
        { name: 'b é.txt', size: b.length, sha256: sha256(b) },
      ],
    });
    const download = await api().get(`/tasks/${task.id}/download`).buffer(true).parse(binary);
    expect((download.body as Buffer).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('adds a presigned URL to the result, which reads the file straight from S3', async () => {
    const task = await run('report', (req) => req.send({}));
    const service = app.get(ResultDownloadService);
    const record = await app.get<TaskStore>(TASK_STORE).get(task.id);
    const fromService = await service.presignedUrl(record!);
    expect(fromService).toMatch(new RegExp(`^${server.endpoint}/${server.bucket}/`));

    const res = await api().get(`/tasks/${task.id}/result`);
    expect(res.status).toBe(200);
    const file = (res.body as TaskResultView).file as { presignedUrl?: string; downloadUrl: string };
    expect(file.downloadUrl).toBe(`/tasks/${task.id}/download`);
    expect(file.presignedUrl).toMatch(new RegExp(`^${server.endpoint}/${server.bucket}/.*X-Amz-Expires=300`));

    const direct = await fetch(file.presignedUrl!);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-disposition')).toContain(`filename*=UTF-8''rapport%20%C3%A9t%C3%A9.bin`);
    expect(Buffer.from(await direct.arrayBuffer()).equals(REPORT)).toBe(true);
  });

  it('deletes the task files from S3 with the task', async () => {
    const task = await run('report', (req) => req.send({}));
    expect(await bucketKeys(task.id)).toHaveLength(1);
    expect((await api().delete(`/tasks/${task.id}`)).status).toBe(204);
    expect(await bucketKeys(task.id)).toEqual([]);
  });

  it('reports S3 in the readiness check', async () => {
    const res = await api().get('/health');
    expect(res.status).toBe(200);
    expect((res.body as { info: Record<string, { status: string }> }).info.storage.status).toBe('up');
  });

  it('gives no presigned URL when presignDownloads is off', async () => {
    const plain = await startApp(server, mkdtempSync(join(tmpdir(), 'stepwise-s3-plain-')), {});
    try {
      const submitted = await request(plain.getHttpServer()).post('/tasks/report').send({});
      const id = (submitted.body as TaskView).id;
      let result: request.Response;
      const deadline = Date.now() + 10_000;
      do {
        await new Promise((r) => setTimeout(r, 20));
        result = await request(plain.getHttpServer()).get(`/tasks/${id}/result`);
      } while (result.status === 409 && Date.now() < deadline);
      expect(result.status).toBe(200);
      expect((result.body as TaskResultView).file).not.toHaveProperty('presignedUrl');
    } finally {
      (plain.get(OBJECT_STORAGE) as S3Storage).destroy();
      await plain.close();
    }
  });
});
