import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { INestApplication } from '@nestjs/common';
import { TaskEngine } from '@stepwise/tasks';
import request from 'supertest';
import { createS3Client } from '../../libs/tasks/src/adapters/s3/s3-client';
import { startExampleApp } from './harness/example-app';
import { S3Server } from './harness/s3-server';

const PREFIX = 'hygiene/';
const LIMITS = { maxFileSize: 256 * 1024, maxFiles: 3, maxTotalSize: 512 * 1024 };

/**
 * No orphans on S3 (the harness's server): refused uploads leave nothing in the bucket,
 * deleting a task deletes its objects, and the reconciliation removes the
 * objects of tasks that no longer exist while keeping those of live ones.
 */
describe('storage hygiene on S3', () => {
  const s3 = new S3Server('stepwise-hygiene');
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-hygiene-'));
  let app: INestApplication;
  let raw: S3Client;
  const api = () => request(app.getHttpServer());

  beforeAll(async () => {
    await s3.start();
    raw = createS3Client(s3.storageOptions);
    app = await startExampleApp({
      dataDir,
      s3: { ...s3.storageOptions, prefix: PREFIX },
      uploads: LIMITS,
      // The test runs the reconciliation itself, with no grace.
      engine: { sweepIntervalMs: 100, reconcileIntervalMs: 0, orphanGraceMs: 0 },
    });
  });

  afterAll(async () => {
    await app?.close();
    raw?.destroy();
    await s3.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const keys = async (prefix = PREFIX): Promise<string[]> => {
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  };

  const waitCompleted = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const { body } = await api().get(`/tasks/${id}`);
      if (body.status === 'completed') return;
      if (['failed', 'cancelled'].includes(body.status)) throw new Error(`task ${id} ${body.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`task ${id} did not complete`);
  };

  it('answers 413 to too many files, a file too large and too many bytes in all, leaving nothing', async () => {
    const tooMany = api().post('/tasks/create-zip');
    for (let i = 0; i <= LIMITS.maxFiles; i++) tooMany.attach('files', Buffer.from(`f${i}`), `f${i}.txt`);
    const tooLarge = api()
      .post('/tasks/create-zip')
      .attach('files', Buffer.from('small'), 'a.txt')
      .attach('files', Buffer.alloc(LIMITS.maxFileSize + 1, 1), 'big.bin');
    const tooMuch = api().post('/tasks/create-zip');
    for (let i = 0; i < 3; i++) tooMuch.attach('files', Buffer.alloc(200 * 1024, i), `part${i}.bin`);
    for (const req of [tooMany, tooLarge, tooMuch]) {
      const res = await req;
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    }
    expect(await keys()).toEqual([]);
    expect(await s3.pendingMultipartUploads()).toEqual([]);
  });

  it('deletes every object of a task with the task', async () => {
    const res = await api()
      .post('/tasks/create-zip')
      .attach('files', Buffer.from('one'), 'one.txt')
      .attach('files', Buffer.from('two'), 'two.txt');
    expect(res.status).toBe(202);
    await waitCompleted(res.body.id);
    const own = await keys(`${PREFIX}tasks/${res.body.id}/`);
    expect(own.length).toBe(3); // two inputs and the ZIP
    expect((await api().delete(`/tasks/${res.body.id}`)).status).toBe(204);
    expect(await keys(`${PREFIX}tasks/${res.body.id}/`)).toEqual([]);
  });

  it('reconciliation removes the objects of tasks that are gone and keeps those of live tasks', async () => {
    const live = await api().post('/tasks/create-zip').attach('files', Buffer.from('keep me'), 'keep.txt');
    await waitCompleted(live.body.id);
    const ghost = randomUUID();
    for (const name of ['input/0-a.txt', 'output/archive.zip']) {
      await raw.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}tasks/${ghost}/${name}`, Body: 'left behind' }),
      );
    }
    const liveKeys = await keys(`${PREFIX}tasks/${live.body.id}/`);
    expect(liveKeys.length).toBe(2);

    const report = await app.get(TaskEngine).reconciler.reconcile();
    expect(report.removedTasks).toEqual([ghost]);
    expect(await keys(`${PREFIX}tasks/${ghost}/`)).toEqual([]);
    expect(await keys(`${PREFIX}tasks/${live.body.id}/`)).toEqual(liveKeys);
  });
});
