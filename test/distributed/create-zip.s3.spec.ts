import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { INestApplication } from '@nestjs/common';
import type { TaskResultView, TaskView } from '@stepwise/tasks';
import request from 'supertest';
import { createS3Client } from '../../libs/tasks/src/adapters/s3/s3-client';
import { startExampleApp } from './harness/example-app';
import { S3Server, type S3Request } from './harness/s3-server';
import { unzip } from '../../libs/examples/src/testing/unzip';

/**
 * The example create-zip task, unchanged, on S3 storage (the harness's S3
 * server): uploads streamed to S3, the ZIP streamed back to S3 by a
 * multipart upload, the download streamed from S3. Then a cancel in the
 * middle of the upload, and a transient S3 error retried by the step.
 */
const MIB = 1024 * 1024;
const PREFIX = 'zip/';

const binary = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('create-zip on S3 storage', () => {
  const server = new S3Server('stepwise-zip');
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-zip-s3-'));
  let app: INestApplication;
  let raw: S3Client;
  const api = () => request(app.getHttpServer());

  beforeAll(async () => {
    await server.start();
    raw = createS3Client(server.storageOptions);
    app = await startExampleApp({
      dataDir,
      s3: { ...server.storageOptions, prefix: PREFIX },
      engine: { sweepIntervalMs: 100 },
    });
  });

  afterAll(async () => {
    await app?.close();
    raw?.destroy();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function submit(files: Array<[name: string, data: Buffer]>, outputName: string): Promise<string> {
    let req = api().post('/tasks/create-zip').field('outputName', outputName);
    for (const [name, data] of files) req = req.attach('files', data, name);
    const res = await req;
    expect(res.status).toBe(202);
    return (res.body as TaskView).id;
  }

  async function waitFor(id: string, done: (view: TaskView) => boolean, timeoutMs = 30_000): Promise<TaskView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = (await api().get(`/tasks/${id}`)).body as TaskView;
      if (done(view)) return view;
      if (Date.now() > deadline) throw new Error(`task ${id} stuck in ${view.status}: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const terminal = (view: TaskView) => ['completed', 'failed', 'cancelled'].includes(view.status);

  /** The bucket keys of a task, relative to its prefix. */
  async function taskKeys(id: string): Promise<string[]> {
    const prefix = `${PREFIX}tasks/${id}/`;
    const out = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
  }

  async function multipartUploads(id: string) {
    const prefix = `${PREFIX}tasks/${id}/`;
    const out = await raw.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }));
    return out.Uploads ?? [];
  }

  /** Requests to a task's output object. */
  const outputRequests = (id: string): S3Request[] =>
    server.requests.filter((r) => r.path.includes(`/tasks/${id}/output/`));

  it('zips uploaded files into S3 and serves the ZIP from S3, entries identical byte for byte', async () => {
    const files: Array<[string, Buffer]> = [
      ['notes.txt', Buffer.from('hello\n'.repeat(10_000))],
      ['photo.jpg', randomBytes(300_000)],
      ['résumé 2024.txt', Buffer.from('unicode name, kept\n')],
      ['big.bin', randomBytes(12 * MIB)],
    ];
    const id = await submit(files, 'bundle.zip');
    const view = await waitFor(id, terminal);
    expect(view.status).toBe('completed');

    const result = (await api().get(`/tasks/${id}/result`)).body as TaskResultView;
    const output = result.output as { name: string; size: number; entries: Array<{ name: string; size: number }> };
    expect(output.name).toBe('bundle.zip');
    expect(output.entries).toEqual(files.map(([name, data]) => ({ name, size: data.length })));
    expect(await taskKeys(id)).toEqual([
      'input/0-notes.txt',
      'input/1-photo.jpg',
      'input/2-résumé 2024.txt',
      'input/3-big.bin',
      'output/bundle.zip',
    ]);
    // Over 8 MiB: the ZIP went up as a multipart upload, which completed.
    const requests = outputRequests(id);
    expect(requests.filter((r) => r.method === 'POST' && 'uploads' in r.query)).toHaveLength(1);
    expect(requests.filter((r) => r.method === 'POST' && 'uploadId' in r.query)).toHaveLength(1);

    const download = await api().get(`/tasks/${id}/download`).buffer(true).parse(binary);
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    const zip = download.body as Buffer;
    expect(zip.length).toBe(output.size);
    const entries = await unzip(zip);
    expect([...entries.keys()]).toEqual(files.map(([name]) => name));
    for (const [name, data] of files) expect(entries.get(name)!.equals(data)).toBe(true);

    const tail = await api().get(`/tasks/${id}/download`).set('Range', 'bytes=-22').buffer(true).parse(binary);
    expect(tail.status).toBe(206);
    expect((tail.body as Buffer).equals(zip.subarray(zip.length - 22))).toBe(true);
    expect(await multipartUploads(id)).toEqual([]);
  });

  it('cancelled during the upload of the ZIP: the multipart upload is aborted and no output is left', async () => {
    // Slow parts of the output (not of the inputs): the cancel lands while the ZIP is going up.
    server.fail({
      match: (r) => r.method === 'PUT' && 'partNumber' in r.query && r.path.includes('/output/'),
      times: 1000,
      delayMs: 300,
    });
    try {
      const id = await submit(
        [
          ['one.bin', randomBytes(16 * MIB)],
          ['two.bin', randomBytes(16 * MIB)],
        ],
        'doomed.zip',
      );
      const deadline = Date.now() + 30_000;
      while (!outputRequests(id).some((r) => r.method === 'PUT' && 'partNumber' in r.query)) {
        if (Date.now() > deadline) throw new Error('the ZIP upload never started');
        await new Promise((r) => setTimeout(r, 10));
      }
      const cancelled = await api().post(`/tasks/${id}/cancel`);
      expect(cancelled.status).toBe(202);
      const view = await waitFor(id, terminal);
      expect(view.status).toBe('cancelled');

      expect((await taskKeys(id)).filter((k) => k.startsWith('output/'))).toEqual([]);
      expect(await multipartUploads(id)).toEqual([]);
      expect(await server.leftoverParts()).toEqual([]);
      const requests = outputRequests(id);
      const created = requests.filter((r) => r.method === 'POST' && 'uploads' in r.query);
      const aborted = requests.filter((r) => r.method === 'DELETE' && 'uploadId' in r.query);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(aborted).toHaveLength(created.length);
      expect(aborted.every((r) => r.status === 204)).toBe(true);
      expect(requests.some((r) => r.method === 'POST' && 'uploadId' in r.query)).toBe(false);
    } finally {
      server.clearFaults();
    }
  });

  it('retries the step after a transient S3 error outlasting the SDK retries, then completes', async () => {
    // The SDK tries each request 3 times: 3 failures make the step's first attempt fail.
    const fault = {
      match: (r: S3Request) => r.method === 'PUT' && r.path.includes('/output/') && !('partNumber' in r.query),
      times: 3,
      status: 500,
      code: 'InternalError',
    };
    server.fail(fault);
    const files: Array<[string, Buffer]> = [['a.txt', Buffer.from('a'.repeat(1000))]];
    const id = await submit(files, 'retried.zip');
    const view = await waitFor(id, terminal);
    expect(view.status).toBe('completed');
    expect(fault.times).toBe(0);
    expect(view.steps.find((s) => s.name === 'createZipArchive')).toMatchObject({ status: 'completed', attempts: 2 });
    const download = await api().get(`/tasks/${id}/download`).buffer(true).parse(binary);
    expect((await unzip(download.body as Buffer)).get('a.txt')!.equals(files[0][1])).toBe(true);
    expect(await taskKeys(id)).toEqual(['input/0-a.txt', 'output/retried.zip']);
  });
});
