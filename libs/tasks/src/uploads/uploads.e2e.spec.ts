import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExampleTasksModule } from '@stepwise/examples';
import * as tus from 'tus-js-client';
import { HeaderOwnerResolver, TaskModule } from '../index';
import type { ResumableUploads } from './resumable-uploads';
import { RESUMABLE_UPLOADS } from './upload-tokens';
import { unzip } from '../../../examples/src/testing/unzip';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Resumable uploads end to end on the embedded app (SQLite, files on disk):
 * tus-js-client against the real HTTP server, then create-zip over the
 * finished uploads.
 */
describe('resumable uploads (tus) on the embedded app', () => {
  let dataDir: string;
  let app: INestApplication;
  let base: string;
  const uploadsDir = () => join(dataDir, 'objects', 'uploads');
  /** Content files the tus store holds (not its `.json` metadata). */
  const contentFiles = () =>
    existsSync(uploadsDir()) ? readdirSync(uploadsDir()).filter((f) => !f.includes('.')) : [];

  async function start(resumable: { expireAfterMs?: number; retentionMs?: number } = {}): Promise<void> {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          ownerResolver: new HeaderOwnerResolver(),
          uploads: { maxFileSize: 8 * 1024 * 1024, resumable: { cleanupIntervalMs: 3_600_000, ...resumable } },
          dashboard: false,
        }),
        ExampleTasksModule,
      ],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'stepwise-tus-'));
    await start();
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Uploads `data` with tus-js-client as `owner`; resolves with the upload's URL. */
  function tusUpload(data: Buffer, owner = 'alice', options: Partial<tus.UploadOptions> = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(data, {
        endpoint: `${base}/uploads`,
        headers: { 'x-owner-id': owner },
        metadata: { filename: 'data.bin', filetype: 'application/octet-stream' },
        chunkSize: 256 * 1024,
        retryDelays: [],
        storeFingerprintForResuming: false,
        ...options,
        onError: reject,
        onSuccess: () => resolve(upload.url!),
      });
      upload.start();
    });
  }

  const idOf = (url: string) => url.split('/').pop()!;
  const head = (url: string, owner = 'alice') =>
    fetch(new URL(url, base), { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': owner } });

  async function zipOf(
    uploads: string[],
    owner = 'alice',
  ): Promise<{ status: string; error?: { message: string }; entries: Map<string, Buffer> }> {
    const res = await fetch(`${base}/tasks/create-zip`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-owner-id': owner },
      body: JSON.stringify({ uploads }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let view: { status: string; error?: { message: string } } = { status: 'pending' };
    for (let i = 0; i < 200 && !['completed', 'failed', 'cancelled'].includes(view.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      view = (await (await fetch(`${base}/tasks/${id}`, { headers: { 'x-owner-id': owner } })).json()) as typeof view;
    }
    if (view.status !== 'completed') return { ...view, entries: new Map() };
    const zip = Buffer.from(
      await (await fetch(`${base}/tasks/${id}/download`, { headers: { 'x-owner-id': owner } })).arrayBuffer(),
    );
    return { status: view.status, entries: await unzip(zip) };
  }

  it('resumes an interrupted upload from the server offset, then zips it byte for byte', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    let url = '';
    // First attempt: cut after a few chunks.
    await new Promise<void>((resolve, reject) => {
      const first = new tus.Upload(data, {
        endpoint: `${base}/uploads`,
        headers: { 'x-owner-id': 'alice' },
        metadata: { filename: 'résumé.bin' },
        chunkSize: 256 * 1024,
        retryDelays: [],
        storeFingerprintForResuming: false,
        onError: reject,
        onChunkComplete: (_chunk, accepted) => {
          url = first.url!;
          if (accepted >= 1024 * 1024) void first.abort().then(resolve, reject);
        },
      });
      first.start();
    });
    const partial = await head(url);
    const offset = Number(partial.headers.get('upload-offset'));
    expect(partial.status).toBe(200);
    expect(offset).toBeGreaterThanOrEqual(1024 * 1024);
    expect(offset).toBeLessThan(data.length);

    // Second client: resumes at the URL, sends only the rest.
    let firstProgress = -1;
    const resumedUrl = await tusUpload(data, 'alice', {
      uploadUrl: url,
      metadata: { filename: 'résumé.bin' },
      onProgress: (sent) => {
        if (firstProgress < 0) firstProgress = sent;
      },
    });
    expect(resumedUrl).toBe(url);
    expect(firstProgress).toBeGreaterThanOrEqual(offset);

    const done = await head(url);
    expect(done.headers.get('upload-offset')).toBe(String(data.length));
    const zipped = await zipOf([idOf(url)]);
    expect(zipped.status).toBe('completed');
    expect([...zipped.entries.keys()]).toEqual(['résumé.bin']);
    expect(sha256(zipped.entries.get('résumé.bin')!)).toBe(sha256(data));
  });

  it('stores the same content once, for any number of uploads and owners, until the last one goes', async () => {
    const data = randomBytes(600 * 1024);
    const a = await tusUpload(data, 'alice');
    const b = await tusUpload(data, 'bob');
    const other = await tusUpload(randomBytes(1000), 'alice');
    expect(contentFiles()).toHaveLength(2);
    expect(contentFiles()).toContain(idOf(other));

    // Both owners zip "their" upload: the same bytes.
    for (const [url, owner] of [
      [a, 'alice'],
      [b, 'bob'],
    ]) {
      const zipped = await zipOf([idOf(url)], owner);
      expect(sha256([...zipped.entries.values()][0])).toBe(sha256(data));
    }

    // Deleting one keeps the shared content for the other; deleting both removes it.
    const del = (url: string, owner: string) =>
      fetch(new URL(url, base), { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': owner } });
    expect((await del(a, 'alice')).status).toBe(204);
    expect((await head(a)).status).toBe(404);
    expect(contentFiles()).toHaveLength(2);
    expect(sha256([...(await zipOf([idOf(b)], 'bob')).entries.values()][0])).toBe(sha256(data));
    expect((await del(b, 'bob')).status).toBe(204);
    expect(contentFiles()).toEqual([idOf(other)]);
  });

  it('answers 404 to a DELETE of a deleted upload whose content another upload shares, and keeps that content', async () => {
    const data = randomBytes(10 * 1024);
    const a = await tusUpload(data);
    const b = await tusUpload(data);
    const del = () =>
      fetch(new URL(a, base), { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': 'alice' } });
    expect((await del()).status).toBe(204);
    // tus would remove what the store holds under that name (the content b points at) and answer 500.
    expect((await del()).status).toBe(404);
    const patch = await fetch(new URL(a, base), {
      method: 'PATCH',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Offset': '0',
        'Content-Type': 'application/offset+octet-stream',
        'x-owner-id': 'alice',
      },
      body: 'x',
    });
    expect(patch.status).toBe(404);
    expect(contentFiles()).toEqual([idOf(a)]);
    expect(sha256([...(await zipOf([idOf(b)])).entries.values()][0])).toBe(sha256(data));
  });

  it("keeps every upload to its owner: another owner's HEAD, PATCH, DELETE and tasks find nothing", async () => {
    const create = await fetch(`${base}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'x-owner-id': 'alice' },
    });
    expect(create.status).toBe(201);
    const pending = create.headers.get('location')!;
    const tusHeaders = (owner: string) => ({ 'Tus-Resumable': '1.0.0', 'x-owner-id': owner });
    expect((await head(pending, 'bob')).status).toBe(404);
    const patch = await fetch(new URL(pending, base), {
      method: 'PATCH',
      headers: { ...tusHeaders('bob'), 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
      body: 'x'.repeat(10),
    });
    expect(patch.status).toBe(404);
    expect((await fetch(new URL(pending, base), { method: 'DELETE', headers: tusHeaders('bob') })).status).toBe(404);
    expect((await head(pending, 'alice')).headers.get('upload-offset')).toBe('0');

    const finished = await tusUpload(Buffer.from('alice only'), 'alice');
    expect((await head(finished, 'bob')).status).toBe(404);
    const stolen = await zipOf([idOf(finished)], 'bob');
    expect(stolen.status).toBe('failed');
    expect(stolen.error?.message).toContain('is unknown or not finished');
    expect((await zipOf(['00000000-0000-4000-8000-000000000000'])).status).toBe('failed');
  });

  it('refuses tus requests that name no owner (none, empty, over-long): JSON 401, and stores nothing', async () => {
    const url = await tusUpload(Buffer.from('mine'), 'alice');
    const before = contentFiles();
    for (const owner of [undefined, '', 'o'.repeat(201)]) {
      const headers = { 'Tus-Resumable': '1.0.0', ...(owner === undefined ? {} : { 'x-owner-id': owner }) };
      const answers = [
        await fetch(`${base}/uploads`, {
          method: 'POST',
          headers: { ...headers, 'Upload-Length': '4', 'Content-Type': 'application/offset+octet-stream' },
          body: 'data',
        }),
        await fetch(new URL(url, base), { method: 'HEAD', headers }),
        await fetch(new URL(url, base), { method: 'DELETE', headers }),
      ];
      for (const res of answers) expect(res.status).toBe(401);
      expect(await answers[0].json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    expect(contentFiles()).toEqual(before);
    expect((await head(url)).status).toBe(200);
  });

  it('answers 413 to an upload over the size limit and stores nothing; 405 to GET; JSON 404 to unknown ids', async () => {
    const tooBig = await fetch(`${base}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(8 * 1024 * 1024 + 1), 'x-owner-id': 'alice' },
    });
    expect(tooBig.status).toBe(413);
    expect(contentFiles()).toEqual([]);

    const url = await tusUpload(Buffer.from('hello'));
    const get = await fetch(new URL(url, base), { headers: { 'x-owner-id': 'alice' } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ statusCode: 405 });
    expect((await head('/uploads/not-an-upload')).status).toBe(404);
  });

  /** Everything under the uploads directory: content and the tus store's metadata. */
  const allFiles = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()).sort() : []);
  const create = (headers: Record<string, string>, body?: BodyInit, init: RequestInit = {}) =>
    fetch(`${base}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': 'alice', ...headers },
      body,
      ...init,
    });
  const withBody = (length: number) => ({
    'Upload-Length': String(length),
    'Content-Type': 'application/offset+octet-stream',
  });

  it('answers a creation that carries the whole file 201 with Location and Upload-Offset, and records it', async () => {
    const res = await create(withBody(4), 'data');
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe('4');
    const url = res.headers.get('location')!;
    expect(url).toMatch(/^\/uploads\/[0-9a-f-]{36}$/);
    // Finished and recorded: HEAD answers its length, no tus metadata is left, the bytes zip as sent.
    const done = await head(url);
    expect(done.status).toBe(200);
    expect(done.headers.get('upload-offset')).toBe('4');
    expect(allFiles()).toEqual([idOf(url)]);
    const zipped = await zipOf([idOf(url)]);
    expect(zipped.status).toBe('completed');
    expect([...zipped.entries.values()].map(String)).toEqual(['data']);
  });

  it('answers an empty upload (Upload-Length: 0, with or without a body) 201 with Location, finished', async () => {
    const bare = await create({ 'Upload-Length': '0' });
    const empty = await create(withBody(0), '');
    for (const res of [bare, empty]) {
      expect(res.status).toBe(201);
      const url = res.headers.get('location')!;
      expect(url).toMatch(/^\/uploads\/[0-9a-f-]{36}$/);
      const done = await head(url);
      expect(done.status).toBe(200);
      expect(done.headers.get('upload-offset')).toBe('0');
      expect(done.headers.get('upload-length')).toBe('0');
    }
    expect(empty.headers.get('upload-offset')).toBe('0');
    // Both recorded (the same empty content, kept once), and nothing half-made beside them.
    expect(allFiles()).toHaveLength(1);
    expect(allFiles().some((f) => f.includes('.'))).toBe(false);
  });

  it('uploads with tus-js-client sending the data with the creation request', async () => {
    const data = randomBytes(1000);
    const url = await tusUpload(data, 'alice', { uploadDataDuringCreation: true, chunkSize: 64 * 1024 });
    expect((await head(url)).headers.get('upload-offset')).toBe(String(data.length));
    const zipped = await zipOf([idOf(url)]);
    expect(sha256([...zipped.entries.values()][0])).toBe(sha256(data));
  });

  it('answers 413 to a creation body longer than Upload-Length, and keeps nothing of it', async () => {
    const registry = app.get<ResumableUploads>(RESUMABLE_UPLOADS);
    const sized = await create(withBody(4), 'too long');
    expect(allFiles()).toEqual([]);
    expect(sized.status).toBe(413);
    expect(sized.headers.get('location')).toBeNull();
    // Without Content-Length (chunked), the excess is only seen mid-body.
    const chunks = [Buffer.from('0123'), Buffer.from('4567')];
    const chunked = await create(
      withBody(4),
      new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      { duplex: 'half' } as RequestInit,
    );
    expect(chunked.status).toBe(413);
    expect(chunked.headers.get('location')).toBeNull();
    expect(allFiles()).toEqual([]);
    expect(await registry.cleanUp()).toEqual({ incomplete: 0, finished: 0 });
  });

  it('keeps nothing of a creation whose client goes away mid-body', async () => {
    const { request } = await import('node:http');
    const port = new URL(base).port;
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/uploads',
        headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': 'alice', ...withBody(1000), 'Content-Length': '1000' },
      });
      req.once('error', () => resolve());
      req.write(Buffer.alloc(100, 'x'), () => setTimeout(() => (req.destroy(), resolve()), 100));
    });
    for (let i = 0; i < 50 && allFiles().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(allFiles()).toEqual([]);
  });

  it('terminates an upload in progress: 204 and its bytes are gone', async () => {
    const create = await fetch(`${base}/uploads`, {
      method: 'POST',
      headers: {
        'Tus-Resumable': '1.0.0',
        'Upload-Length': '100',
        'Content-Type': 'application/offset+octet-stream',
        'x-owner-id': 'alice',
      },
      body: 'x'.repeat(40), // creation-with-upload: the first bytes come with the POST
    });
    expect(create.status).toBe(201);
    const url = create.headers.get('location')!;
    expect(contentFiles()).toEqual([idOf(url)]);
    const del = await fetch(new URL(url, base), {
      method: 'DELETE',
      headers: { 'Tus-Resumable': '1.0.0', 'x-owner-id': 'alice' },
    });
    expect(del.status).toBe(204);
    expect(contentFiles()).toEqual([]);
  });

  it('expires abandoned uploads and, after their retention, finished ones with their content', async () => {
    await app.close();
    await start({ expireAfterMs: 300, retentionMs: 300 });
    const abandoned = await fetch(`${base}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '100', 'x-owner-id': 'alice' },
    });
    const finished = await tusUpload(Buffer.from('short-lived'));
    expect(contentFiles()).toHaveLength(2);
    const uploads = app.get<ResumableUploads>(RESUMABLE_UPLOADS);
    expect(await uploads.cleanUp()).toEqual({ incomplete: 0, finished: 0 });
    await new Promise((r) => setTimeout(r, 400));
    expect(await uploads.cleanUp()).toEqual({ incomplete: 1, finished: 1 });
    expect(contentFiles()).toEqual([]);
    expect((await head(abandoned.headers.get('location')!)).status).toBe(404);
    expect((await head(finished)).status).toBe(404);
    expect((await zipOf([idOf(finished)])).status).toBe('failed');
  });
});
