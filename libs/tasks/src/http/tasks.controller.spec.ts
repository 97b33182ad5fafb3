import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { FilesystemStorage } from '../adapters/filesystem';
import { Step, Task, type StepContext } from '../definition';
import { NonRetryableError } from '../engine';
import type { UploadedFile } from '../model';
import { HeaderOwnerResolver } from '../core';
import { TaskModule } from '../task.module';
import { setupOpenApi } from '../openapi';
import type { ErrorBody, TaskListView, TaskView } from '../web/task-view';

// ---------------------------------------------------------------- test tasks

const greetInput = z.object({ name: z.string().min(1), times: z.number().int().min(1).max(5) });
type GreetInput = z.infer<typeof greetInput>;

/** Two steps, one per placement, with a validated JSON input. */
@Task({ name: 'greet', input: greetInput })
class GreetTask {
  @Step({ order: 1, on: 'api' })
  prepare(ctx: StepContext<GreetInput>) {
    return { greeting: `Hello ${ctx.input.name}` };
  }

  @Step({ order: 2, on: 'worker' })
  repeat(ctx: StepContext<GreetInput, { prepare: { greeting: string } }>) {
    return { text: Array.from({ length: ctx.input.times }, () => ctx.outputs.prepare?.greeting).join(' ') };
  }
}

const uploaded = z.object({
  key: z.string(),
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  contentType: z.string(),
});
const bundleInput = z.object({ title: z.string().default('bundle'), files: z.array(uploaded).min(1) });
type BundleInput = z.infer<typeof bundleInput>;

/** Reads its uploaded files from storage and writes their concatenation as the result file. */
@Task({ name: 'bundle', acceptsFiles: true, input: bundleInput })
class BundleTask {
  @Step({ order: 1 })
  async concat(ctx: StepContext<BundleInput>) {
    const { storage } = ctx;
    const files: UploadedFile[] = ctx.input.files;
    async function* chunks() {
      for (const file of files) yield* await storage.get(file.key);
    }
    const name = `${ctx.input.title}.txt`;
    const key = `${ctx.storagePrefix}output/result.txt`;
    const stored = await storage.put(key, Readable.from(chunks()), { contentType: 'text/plain' });
    ctx.setResultFile({
      key,
      name,
      size: stored.size,
      contentType: 'text/plain; charset=utf-8',
      sha256: stored.sha256,
    });
    return { names: files.map((f) => f.name), size: stored.size };
  }
}

/** Waits until told, honouring its signal: something to cancel, pause and poll. */
@Task({ name: 'slow', input: z.object({ ms: z.number().int().min(1).max(60_000).default(30_000) }) })
class SlowTask {
  @Step({ order: 1 })
  async wait(ctx: StepContext<{ ms: number }>) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ctx.input.ms);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
    });
    return { waited: ctx.input.ms };
  }
}

/** Writes a result file large enough that a download spans many socket writes. */
@Task({ name: 'big-output' })
class BigOutputTask {
  @Step({ order: 1 })
  async write(ctx: StepContext) {
    const chunk = Buffer.alloc(64 * 1024, 'b');
    async function* chunks() {
      for (let i = 0; i < BIG_OUTPUT_CHUNKS; i++) yield chunk;
    }
    const key = `${ctx.storagePrefix}output/big.bin`;
    const stored = await ctx.storage.put(key, Readable.from(chunks()));
    ctx.setResultFile({
      key,
      name: 'big.bin',
      size: stored.size,
      contentType: 'application/octet-stream',
      sha256: stored.sha256,
    });
    return { size: stored.size };
  }
}
const BIG_OUTPUT_CHUNKS = 256;

@Task({ name: 'boom' })
class BoomTask {
  @Step({ order: 1 })
  explode(): never {
    throw new NonRetryableError('kaboom');
  }
}

// ---------------------------------------------------------------- harness

const LIMITS = { maxFileSize: 64 * 1024, maxFiles: 3, maxFields: 5, maxTotalSize: 150 * 1024 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VIEW_KEYS = [
  'createdAt',
  'error',
  'finishedAt',
  'id',
  'links',
  'message',
  'progress',
  'startedAt',
  'status',
  'steps',
  'type',
];
const STEP_KEYS = ['attempts', 'error', 'finishedAt', 'name', 'on', 'progress', 'startedAt', 'status'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MISSING = '00000000-0000-4000-8000-000000000000';
const TASK_ID = '11111111-1111-4111-8111-111111111111';
const TESTER = 'tester';
/** A list cursor with any content, encoded as the API encodes its own. */
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TasksController (HTTP)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-http-'));
  const objectsDir = join(dataDir, 'objects');
  const statuses: Array<{ method: string; url: string; status: number }> = [];
  let app: INestApplication;
  let openApi: Record<string, unknown>;

  /** Every stored object, as storage keys. */
  const storedKeys = (): string[] => walk(objectsDir).map((f) => relative(objectsDir, f).split(sep).join('/'));
  /** Owner scoping is on (HeaderOwnerResolver): every request names an owner unless it sets its own. */
  const api = () => request.agent(app.getHttpServer()).set('x-owner-id', TESTER);
  const anonymousApi = () => request(app.getHttpServer());

  beforeAll(async () => {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          engine: { progressThrottleMs: 10, sweepIntervalMs: 100, concurrency: 4 },
          uploads: LIMITS,
          ownerResolver: new HeaderOwnerResolver(),
        }),
      ],
      providers: [GreetTask, BundleTask, SlowTask, BoomTask, BigOutputTask],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    app.use(
      (
        req: { method: string; originalUrl: string },
        res: { statusCode: number; on: (e: string, f: () => void) => void },
        next: () => void,
      ) => {
        res.on('finish', () => statuses.push({ method: req.method, url: req.originalUrl, status: res.statusCode }));
        next();
      },
    );
    openApi = setupOpenApi(app) as unknown as Record<string, unknown>;
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterAll(() => {
    // The contract: no input, however bad, ever gives a 5xx.
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
  });

  async function submit(type: string, body: unknown, headers: Record<string, string> = {}): Promise<TaskView> {
    const res = await api()
      .post(`/tasks/${type}`)
      .set(headers)
      .send(body as object);
    expect(res.status).toBe(202);
    return res.body as TaskView;
  }

  async function waitFor(
    id: string,
    done: (view: TaskView) => boolean,
    headers: Record<string, string> = {},
  ): Promise<TaskView> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await api().get(`/tasks/${id}`).set(headers);
      expect(res.status).toBe(200);
      const view = res.body as TaskView;
      if (done(view)) return view;
      if (Date.now() > deadline) throw new Error(`task ${id} stuck in ${view.status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** Raw sockets need a port; supertest keeps using the same, now listening, server. */
  async function listeningPort(): Promise<number> {
    const server = app.getHttpServer();
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  const finished = (v: TaskView) => ['completed', 'failed', 'cancelled'].includes(v.status);

  function expectError(res: request.Response, status: number): ErrorBody {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.body as ErrorBody;
    expect(body).toEqual(
      expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }),
    );
    expect(Object.keys(body).every((k) => ['statusCode', 'error', 'message', 'details'].includes(k))).toBe(true);
    return body;
  }

  // ------------------------------------------------------------ submit + status

  describe('POST /tasks/:type (JSON) and GET /tasks/:id', () => {
    it('accepts with 202 and Location, then reports the status view until completed', async () => {
      const res = await api().post('/tasks/greet').send({ name: 'Ada', times: 2 });
      expect(res.status).toBe(202);
      const view = res.body as TaskView;
      expect(view.id).toMatch(UUID);
      expect(res.headers.location).toBe(`/tasks/${view.id}`);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(Object.keys(view).sort()).toEqual(VIEW_KEYS);
      expect(view).toMatchObject({ type: 'greet', status: expect.stringMatching(/pending|running|completed/) });
      expect(view.createdAt).toMatch(ISO);

      const done = await waitFor(view.id, finished);
      expect(done.status).toBe('completed');
      expect(done.progress).toBe(1);
      expect(done.startedAt).toMatch(ISO);
      expect(done.finishedAt).toMatch(ISO);
      expect(done.error).toBeNull();
      expect(done.steps.map((s) => [s.name, s.on, s.status, s.attempts])).toEqual([
        ['prepare', 'api', 'completed', 1],
        ['repeat', 'worker', 'completed', 1],
      ]);
      for (const step of done.steps) {
        expect(Object.keys(step).sort()).toEqual(STEP_KEYS);
        expect(step.startedAt).toMatch(ISO);
        expect(step.finishedAt).toMatch(ISO);
      }
      expect(done.links).toEqual({
        self: `/tasks/${view.id}`,
        events: `/tasks/${view.id}/events`,
        audit: `/tasks/${view.id}/audit`,
        result: `/tasks/${view.id}/result`,
      });
      // Nothing internal leaks.
      const raw = JSON.stringify(done);
      for (const field of ['lease', 'version', 'owner', 'input', 'queue', 'idempotencyKey', 'Requested']) {
        expect(raw).not.toContain(field);
      }

      const result = await api().get(`/tasks/${view.id}/result`);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        id: view.id,
        type: 'greet',
        status: 'completed',
        output: { text: 'Hello Ada Hello Ada' },
      });
    });

    it('answers 303 See Other to the result for a completed task when asked with ?redirect=true', async () => {
      const { id } = await submit('greet', { name: 'Bob', times: 1 });
      await waitFor(id, finished);
      const res = await api().get(`/tasks/${id}?redirect=true`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/tasks/${id}/result`);
      // Without the opt-in, the plain view.
      expect((await api().get(`/tasks/${id}`)).status).toBe(200);
      expect((await api().get(`/tasks/${id}?redirect=false`)).status).toBe(200);
      expectError(await api().get(`/tasks/${id}?redirect=maybe`), 400);
    });

    it('answers the status (not 303) while the task is not completed, and 409 for its result', async () => {
      const { id } = await submit('slow', { ms: 30_000 });
      const poll = await api().get(`/tasks/${id}?redirect=true`);
      expect(poll.status).toBe(200);
      const conflict = expectError(await api().get(`/tasks/${id}/result`), 409);
      expect(conflict.details).toEqual({
        status: expect.stringMatching(/pending|running/),
        progress: expect.any(Number),
      });
      expectError(await api().get(`/tasks/${id}/download`), 409);
      await api().post(`/tasks/${id}/cancel`).expect(202);
    });

    it('answers 409 with the error for the result of a failed task', async () => {
      const { id } = await submit('boom', undefined);
      const done = await waitFor(id, finished);
      expect(done.status).toBe('failed');
      expect(done.error).toMatchObject({ name: 'NonRetryableError', message: 'kaboom', step: 'explode' });
      expect(done.steps[0].error).toMatchObject({ message: 'kaboom' });
      const body = expectError(await api().get(`/tasks/${id}/result`), 409);
      expect(body.details).toMatchObject({ status: 'failed', error: { message: 'kaboom' } });
      expectError(await api().get(`/tasks/${id}/download`), 409);
      expect((await api().get(`/tasks/${id}?redirect=true`)).status).toBe(200);
    });

    it('answers a held ?singletonKey= with the unfinished task (200, Singleton-Replayed), or 409 when asked', async () => {
      const key = `nightly ${Date.now()}`;
      const path = `/tasks/slow?singletonKey=${encodeURIComponent(key)}`;
      const first = await api().post(path).send({ ms: 30_000 });
      expect(first.status).toBe(202);
      expect(first.headers['singleton-replayed']).toBeUndefined();
      const second = await api().post(path).send({ ms: 5 });
      expect(second.status).toBe(200);
      expect(second.headers['singleton-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(second.body.singletonKey).toBe(key);
      expect(second.headers.location).toBe(first.headers.location);
      const refused = expectError(await api().post(`${path}&singleton=conflict`).send({ ms: 5 }), 409);
      expect(refused.details).toMatchObject({ taskId: first.body.id });
      // Another owner learns nothing of the holder.
      const mallory = expectError(await api().post(path).set('x-owner-id', 'mallory').send({ ms: 5 }), 409);
      expect(JSON.stringify(mallory)).not.toContain(first.body.id);
      // Another type's key is another key.
      expect(
        (
          await api()
            .post(`/tasks/greet?singletonKey=${encodeURIComponent(key)}`)
            .send({ name: 'S', times: 1 })
        ).status,
      ).toBe(202);
      // Once the holder has ended, the key is free.
      await api().post(`/tasks/${first.body.id}/cancel`).expect(202);
      await waitFor(first.body.id, finished);
      const next = await api().post(`${path}&singleton=conflict`).send({ ms: 30_000 });
      expect(next.status).toBe(202);
      expect(next.body.id).not.toBe(first.body.id);
      await api().post(`/tasks/${next.body.id}/cancel`).expect(202);
    });

    it('refuses a malformed ?singletonKey= or ?singleton= with a 400 naming the parameter', async () => {
      const cases: Array<[string, string]> = [
        ['singletonKey=', 'singletonKey'],
        [`singletonKey=${'k'.repeat(201)}`, 'singletonKey'],
        ['singletonKey=a%00b', 'singletonKey'],
        ['singletonKey=a&singletonKey=b', 'singletonKey'],
        ['singletonKey=a&singleton=newest', 'singleton'],
        ['singleton=conflict', 'singleton'],
      ];
      for (const [query, field] of cases) {
        const body = expectError(await api().post(`/tasks/greet?${query}`).send({ name: 'x', times: 1 }), 400);
        expect(body.details).toEqual([{ field, message: expect.any(String) }]);
      }
    });

    it('replays the same Idempotency-Key as the same task', async () => {
      const key = `key-${Date.now()}`;
      const first = await api().post('/tasks/greet').set('Idempotency-Key', key).send({ name: 'Cy', times: 1 });
      const second = await api().post('/tasks/greet').set('Idempotency-Key', key).send({ name: 'Cy', times: 1 });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers.location).toBe(first.headers.location);
      // The same key for another type is a conflict, not a silent replay.
      expectError(await api().post('/tasks/boom').set('Idempotency-Key', key).send({}), 409);
      // Keys are per owner.
      const other = await api()
        .post('/tasks/greet')
        .set({ 'Idempotency-Key': key, 'x-owner-id': 'eve' })
        .send({ name: 'Cy', times: 1 });
      expect(other.status).toBe(202);
      expect(other.body.id).not.toBe(first.body.id);
    });

    it('answers 422 to an Idempotency-Key reused with another body, and creates nothing', async () => {
      const key = `reuse-${Date.now()}`;
      const first = await api().post('/tasks/greet').set('Idempotency-Key', key).send({ name: 'Cy', times: 1 });
      expect(first.status).toBe(202);
      const count = async () => Number((await api().get('/tasks?type=greet')).headers['x-total-count']);
      const before = await count();
      const body = expectError(
        await api().post('/tasks/greet').set('Idempotency-Key', key).send({ name: 'Cy', times: 2 }),
        422,
      );
      expect(body.message).toContain(key);
      expect(await count()).toBe(before);
      // The same body, its keys in another order and spaced otherwise, is still the replay.
      const again = await api()
        .post('/tasks/greet')
        .set({ 'Idempotency-Key': key, 'Content-Type': 'application/json' })
        .send('{ "times": 1,  "name": "Cy" }');
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    });

    it('validates Idempotency-Key and callbackUrl', async () => {
      expectError(
        await api().post('/tasks/greet').set('Idempotency-Key', 'x'.repeat(300)).send({ name: 'a', times: 1 }),
        400,
      );
      // Two header lines: Node would join them into "k1, k2", a key neither line names.
      const count = async () => Number((await api().get('/tasks?type=greet')).headers['x-total-count']);
      const before = await count();
      const twice = expectError(
        await api()
          .post('/tasks/greet')
          // superagent sends an array as one header line each; its types allow that for Cookie only.
          .set('Idempotency-Key', ['k1', 'k2'] as unknown as string)
          .send({ name: 'a', times: 1 }),
        400,
      );
      expect(twice.details).toEqual([{ field: 'Idempotency-Key', message: 'must be given once' }]);
      expect(await count()).toBe(before);
      // One line holding a comma is one key.
      const comma = await api().post('/tasks/greet').set('Idempotency-Key', 'k1, k2').send({ name: 'a', times: 1 });
      expect(comma.status).toBe(202);
      const replay = await api().post('/tasks/greet').set('Idempotency-Key', 'k1, k2').send({ name: 'a', times: 1 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      for (const url of ['not a url', '/relative/path', 'ftp://example.com/hook', 'javascript:alert(1)', 'http://']) {
        const body = expectError(
          await api().post('/tasks/greet').query({ callbackUrl: url }).send({ name: 'a', times: 1 }),
          400,
        );
        expect(body.details).toEqual([expect.objectContaining({ field: 'callbackUrl' })]);
      }
      expectError(
        await api()
          .post('/tasks/greet?callbackUrl=http://a.example&callbackUrl=http://b.example')
          .send({ name: 'a', times: 1 }),
        400,
      );
      const ok = await api()
        .post('/tasks/greet')
        .query({ callbackUrl: 'https://hooks.example.com/done?x=1' })
        .send({ name: 'a', times: 1 });
      expect(ok.status).toBe(202);
    });

    it('refuses malformed JSON, invalid input, unknown types and other media types with 4xx JSON', async () => {
      const malformed = await api().post('/tasks/greet').set('Content-Type', 'application/json').send('{"name": "x", ');
      expectError(malformed, 400);

      const invalid = expectError(await api().post('/tasks/greet').send({ name: 42, times: 'many' }), 400);
      expect((invalid.details as Array<{ field: string }>).map((d) => d.field).sort()).toEqual(['name', 'times']);
      const missing = expectError(await api().post('/tasks/greet').send({}), 400);
      expect((missing.details as Array<{ field: string }>).map((d) => d.field).sort()).toEqual(['name', 'times']);
      expectError(await api().post('/tasks/greet').send([1, 2]), 400);
      expectError(await api().post('/tasks/greet'), 400);

      expectError(await api().post('/tasks/no-such-type').send({}), 404);
      // The unknown type wins over every other problem of the request.
      expectError(
        await api().post('/tasks/no-such-type?callbackUrl=nope').set('Content-Type', 'text/plain').send('x'),
        404,
      );
      expectError(await api().post('/tasks/bad%20type!').send({}), 404);
      expectError(
        await api()
          .post(`/tasks/${'x'.repeat(300)}`)
          .send({}),
        404,
      );

      expectError(await api().post('/tasks/greet').set('Content-Type', 'text/plain').send('hello'), 415);
      expectError(await api().post('/tasks/greet').attach('files', Buffer.from('x'), 'x.txt'), 415);
    });

    it('shapes the errors of the host body parser on these routes too', async () => {
      const big = await api()
        .post('/tasks/greet')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ name: 'x'.repeat(200 * 1024), times: 1 }));
      expect(expectError(big, 413).error).toBe('Payload Too Large');
      const charset = await api()
        .post('/tasks/greet')
        .set('Content-Type', 'application/json; charset=latin2')
        .send('{}');
      expectError(charset, 415);
      // A `+json` type the host parser skips is read here.
      const vendor = await api()
        .post('/tasks/greet')
        .set('Content-Type', 'application/vnd.api+json')
        .send(JSON.stringify({ name: 'V', times: 1 }));
      expect(vendor.status).toBe(202);
      expectError(
        await api().post('/tasks/greet').set('Content-Type', 'application/vnd.api+json').send('{"name":'),
        400,
      );
      // An invalid percent-encoding in the path.
      expectError(await api().get('/tasks/%FF'), 400);
    });

    it('refuses input a store could not hold: deep nesting and NUL characters', async () => {
      let deep: unknown = { name: 'x', times: 1 };
      for (let i = 0; i < 200; i++) deep = { nested: deep };
      expectError(
        await api()
          .post('/tasks/greet')
          .send(deep as object),
        400,
      );
      expectError(await api().post('/tasks/greet').send({ name: 'nul\u0000byte', times: 1 }), 400);
    });

    it('refuses a JSON "files" for a task that accepts uploads', async () => {
      const body = expectError(
        await api()
          .post('/tasks/bundle')
          .send({
            files: [{ key: 'tasks/other/input/0-secret', name: 'x', size: 1, sha256: 'x', contentType: 'text/plain' }],
          }),
        400,
      );
      expect(body.details).toEqual([expect.objectContaining({ field: 'files' })]);
    });
  });

  // ------------------------------------------------------------ ids and owners

  describe('ids and owners', () => {
    it("answers 404 for an unknown id, a non-UUID id and another owner's task", async () => {
      expectError(await api().get(`/tasks/${MISSING}`), 404);
      for (const path of ['/tasks/123', "/tasks/'%20OR%201=1", `/tasks/${MISSING}x`, '/tasks/..%2F..%2Fetc']) {
        expectError(await api().get(path), 404);
      }
      for (const verb of ['cancel', 'pause', 'resume']) {
        expectError(await api().post(`/tasks/${MISSING}/${verb}`), 404);
        expectError(await api().post(`/tasks/not-a-uuid/${verb}`), 404);
      }
      expectError(await api().delete('/tasks/not-a-uuid'), 404);
      expectError(await api().get(`/tasks/${MISSING}/result`), 404);
      expectError(await api().get(`/tasks/${MISSING}/download`), 404);

      const { id } = await submit('greet', { name: 'Mine', times: 1 }, { 'x-owner-id': 'alice' });
      expect((await api().get(`/tasks/${id}`).set('x-owner-id', 'alice')).status).toBe(200);
      expect((await api().get(`/tasks/${id.toUpperCase()}`).set('x-owner-id', 'alice')).status).toBe(200);
      expectError(await api().get(`/tasks/${id}`).set('x-owner-id', 'mallory'), 404);
      expectError(await api().get(`/tasks/${id}/result`).set('x-owner-id', 'mallory'), 404);
      expectError(await api().post(`/tasks/${id}/cancel`).set('x-owner-id', 'mallory'), 404);
      expectError(await api().delete(`/tasks/${id}`).set('x-owner-id', 'mallory'), 404);
      const list = await api().get('/tasks').set('x-owner-id', 'mallory');
      expect((list.body as TaskListView).items.map((t) => t.id)).not.toContain(id);
    });

    it('refuses a caller the resolver cannot identify (no, empty, blank or over-long owner): 401, nothing created', async () => {
      const { id } = await submit('greet', { name: 'Mine', times: 1 }, { 'x-owner-id': 'alice' });
      const created = async () =>
        Number((await api().get('/tasks').set('x-owner-id', 'anonymous')).headers['x-total-count']);
      const before = await created();
      for (const headers of [{}, { 'x-owner-id': '' }, { 'x-owner-id': '   ' }, { 'x-owner-id': 'a'.repeat(201) }]) {
        const calls = [
          anonymousApi().get('/tasks'),
          anonymousApi().post('/tasks/greet').send({ name: 'Nobody', times: 1 }),
          anonymousApi().get(`/tasks/${id}`),
          anonymousApi().get(`/tasks/${id}/result`),
          anonymousApi().get(`/tasks/${id}/events`),
          anonymousApi().post(`/tasks/${id}/cancel`),
          anonymousApi().delete(`/tasks/${id}`),
        ];
        for (const call of calls) {
          const body = expectError(await call.set(headers), 401);
          expect(body.message).toMatch(/x-owner-id/);
        }
      }
      // Nothing fell back to a shared owner: "anonymous" is an owner like any other, with nothing of these.
      expect(await created()).toBe(before);
      expect((await api().get(`/tasks/${id}`).set('x-owner-id', 'alice')).body.status).not.toBe('cancelled');
      expect((await api().get('/tasks').set('x-owner-id', 'a'.repeat(200))).status).toBe(200);
    });
  });

  // ------------------------------------------------------------ cancel, pause, resume, delete

  describe('cancel, pause, resume, delete', () => {
    it('cancels with 202, ends cancelled, then answers 409', async () => {
      const { id } = await submit('slow', { ms: 30_000 });
      const cancel = await api().post(`/tasks/${id}/cancel`);
      expect(cancel.status).toBe(202);
      expect((cancel.body as TaskView).id).toBe(id);
      const done = await waitFor(id, finished);
      expect(done.status).toBe('cancelled');
      const again = expectError(await api().post(`/tasks/${id}/cancel`), 409);
      expect(again.details).toEqual({ status: 'cancelled' });
      const result = expectError(await api().get(`/tasks/${id}/result`), 409);
      expect(result.details).toMatchObject({ status: 'cancelled' });
      expectError(await api().post(`/tasks/${id}/pause`), 409);
      expectError(await api().post(`/tasks/${id}/resume`), 409);
    });

    it('pauses and resumes with 202', async () => {
      const { id } = await submit('slow', { ms: 200 });
      const pause = await api().post(`/tasks/${id}/pause`);
      expect(pause.status).toBe(202);
      expect((pause.body as TaskView).id).toBe(id);
      const resume = await api().post(`/tasks/${id}/resume`);
      expect(resume.status).toBe(202);
      expect((await waitFor(id, finished)).status).toBe('completed');
    });

    it('deletes with 204, then the task is 404 and its files are gone', async () => {
      const res = await api()
        .post('/tasks/bundle')
        .field('input', JSON.stringify({ title: 'to-delete' }))
        .attach('files', Buffer.from('some content'), 'a.txt');
      expect(res.status).toBe(202);
      const id = res.body.id as string;
      await waitFor(id, finished);
      expect(storedKeys().filter((k) => k.startsWith(`tasks/${id}/`)).length).toBeGreaterThanOrEqual(2);

      const del = await api().delete(`/tasks/${id}`);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expectError(await api().get(`/tasks/${id}`), 404);
      expectError(await api().delete(`/tasks/${id}`), 404);
      expect(storedKeys().filter((k) => k.startsWith(`tasks/${id}/`))).toEqual([]);
    });

    it('deletes a running task with 202: cancelled and compensated first, then gone', async () => {
      const { id } = await submit('slow', { ms: 30_000 });
      await waitFor(id, (t) => t.status === 'running');
      const del = await api().delete(`/tasks/${id}`);
      expect(del.status).toBe(202);
      expect(del.body as TaskView).toMatchObject({ id, status: 'running' });
      for (let i = 0; i < 200 && (await api().get(`/tasks/${id}`)).status === 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expectError(await api().get(`/tasks/${id}`), 404);
    });
  });

  // ------------------------------------------------------------ list

  describe('GET /tasks', () => {
    const owner = { 'x-owner-id': 'lister' };

    it('lists with filters, pagination and X-Total-Count', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await submit('greet', { name: `n${i}`, times: 1 }, owner)).id);
      const boom = (await submit('boom', {}, owner)).id;
      for (const id of [...ids, boom]) await waitFor(id, finished, owner);

      const all = await api().get('/tasks').set(owner);
      expect(all.status).toBe(200);
      expect(all.headers['x-total-count']).toBe('6');
      // No CORS configured: no CORS header (cors.e2e.spec.ts covers the others).
      expect(all.headers['access-control-expose-headers']).toBeUndefined();
      const allBody = all.body as TaskListView;
      expect(allBody.items).toHaveLength(6);
      expect(allBody.nextCursor).toBeNull();
      expect(Object.keys(allBody.items[0]).sort()).toEqual(VIEW_KEYS);

      const greet = await api().get('/tasks?type=greet').set(owner);
      expect(greet.headers['x-total-count']).toBe('5');
      expect((greet.body as TaskListView).items.every((t) => t.type === 'greet')).toBe(true);

      const failed = await api().get('/tasks?status=failed').set(owner);
      expect(failed.headers['x-total-count']).toBe('1');
      expect((failed.body as TaskListView).items.map((t) => t.id)).toEqual([boom]);

      // Pages of 2, following nextCursor, visit every task once.
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: request.Response = await api()
          .get('/tasks')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(owner);
        expect(page.status).toBe(200);
        expect(page.headers['x-total-count']).toBe('6');
        const body = page.body as TaskListView;
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((t) => t.id));
        cursor = body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual([...ids, boom].sort());

      const empty = await api().get('/tasks?type=unknown-type').set(owner);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ items: [], nextCursor: null });
      expect(empty.headers['x-total-count']).toBe('0');
    });

    it.each([
      ['status=bogus', 'status'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('{"x":1}').toString('base64url')}`, 'cursor'],
      // Decodes, but no store could use it (PostgreSQL: "invalid input syntax for type bigint").
      [`cursor=${cursorOf({ c: 1.5, i: 'x' })}`, 'cursor'],
      [`cursor=${cursorOf({ c: 1.5, i: TASK_ID })}`, 'cursor'],
      [`cursor=${cursorOf({ c: 1e300, i: TASK_ID })}`, 'cursor'],
      [`cursor=${cursorOf({ c: -1, i: TASK_ID })}`, 'cursor'],
      [`cursor=${cursorOf({ c: '1700000000000', i: TASK_ID })}`, 'cursor'],
      [`cursor=${cursorOf({ c: 1_700_000_000_000, i: "x' OR 1=1 --" })}`, 'cursor'],
      [`cursor=${cursorOf({ c: 1_700_000_000_000, i: 'not-a-task-id' })}`, 'cursor'],
      [`cursor=${cursorOf({ c: 1_700_000_000_000, i: TASK_ID, extra: true })}`, 'cursor'],
      [`cursor=${cursorOf([1_700_000_000_000, TASK_ID])}`, 'cursor'],
      [`cursor=${encodeURIComponent(Buffer.from(JSON.stringify({ c: 1.5, i: 'x' })).toString('base64'))}`, 'cursor'],
      ['type=bad%20type!', 'type'],
      ['status=pending&status=running', 'status'],
    ])('answers 400 for ?%s', async (query, field) => {
      const body = expectError(await api().get(`/tasks?${query}`), 400);
      expect(body.details).toEqual([expect.objectContaining({ field, message: expect.any(String) })]);
    });
  });

  // ------------------------------------------------------------ multipart and download

  describe('multipart submit and download', () => {
    const content = 'Hello, world! 0123456789';

    it('streams files to storage, runs the task, and serves the result with ranges', async () => {
      const res = await api()
        .post('/tasks/bundle')
        .field('input', JSON.stringify({ title: 'résumé 2024' }))
        .field('note', 'free text')
        .attach('files', Buffer.from('Hello, '), { filename: 'a.txt', contentType: 'text/plain' })
        .attach('files', Buffer.from('world! 0123456789'), 'b.txt');
      expect(res.status).toBe(202);
      const id = res.body.id as string;
      expect(res.headers.location).toBe(`/tasks/${id}`);
      const done = await waitFor(id, finished);
      expect(done.status).toBe('completed');
      expect(done.links.download).toBe(`/tasks/${id}/download`);
      expect(
        storedKeys()
          .filter((k) => k.startsWith(`tasks/${id}/input/`))
          .sort(),
      ).toEqual([`tasks/${id}/input/0-a.txt`, `tasks/${id}/input/1-b.txt`]);

      const result = await api().get(`/tasks/${id}/result`);
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        id,
        type: 'bundle',
        status: 'completed',
        output: { names: ['a.txt', 'b.txt'], size: content.length },
        file: {
          name: 'résumé 2024.txt',
          size: content.length,
          contentType: 'text/plain; charset=utf-8',
          downloadUrl: `/tasks/${id}/download`,
        },
      });

      const sha = createHash('sha256').update(content).digest('hex');
      const full = await api().get(`/tasks/${id}/download`).buffer(true).parse(binary);
      expect(full.status).toBe(200);
      expect((full.body as Buffer).toString()).toBe(content);
      expect(full.headers['content-length']).toBe(String(content.length));
      expect(full.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(full.headers['accept-ranges']).toBe('bytes');
      expect(full.headers.etag).toBe(`"${sha}"`);
      expect(full.headers['content-disposition']).toBe(
        `attachment; filename="r_sum_ 2024.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.txt`,
      );

      const head = await api().head(`/tasks/${id}/download`);
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(content.length));

      const cases: Array<[string, number, number]> = [
        ['bytes=0-4', 0, 4],
        ['bytes=7-', 7, content.length - 1],
        ['bytes=-5', content.length - 5, content.length - 1],
        ['bytes=20-1000', 20, content.length - 1],
      ];
      for (const [range, start, end] of cases) {
        const part = await api().get(`/tasks/${id}/download`).set('Range', range).buffer(true).parse(binary);
        expect(part.status).toBe(206);
        expect((part.body as Buffer).toString()).toBe(content.slice(start, end + 1));
        expect(part.headers['content-range']).toBe(`bytes ${start}-${end}/${content.length}`);
        expect(part.headers['content-length']).toBe(String(end - start + 1));
      }

      for (const range of [`bytes=${content.length}-`, 'bytes=1000-2000', 'bytes=-0']) {
        const res416 = await api().get(`/tasks/${id}/download`).set('Range', range);
        expectError(res416, 416);
        expect(res416.headers['content-range']).toBe(`bytes */${content.length}`);
        expect(res416.headers['content-disposition']).toBeUndefined();
      }

      // A stale If-Range gets the whole file; a matching one the range.
      const stale = await api().get(`/tasks/${id}/download`).set({ Range: 'bytes=0-1', 'If-Range': '"stale"' });
      expect(stale.status).toBe(200);
      const fresh = await api()
        .get(`/tasks/${id}/download`)
        .set({ Range: 'bytes=0-1', 'If-Range': `"${sha}"` });
      expect(fresh.status).toBe(206);
      const cached = await api().get(`/tasks/${id}/download`).set('If-None-Match', `"${sha}"`);
      expect(cached.status).toBe(304);
    });

    it('survives a client that goes away mid-download, and closes the storage stream', async () => {
      const { id } = await submit('big-output', {});
      await waitFor(id, finished);
      const opened: Readable[] = [];
      const original = FilesystemStorage.prototype.get;
      const spy = jest.spyOn(FilesystemStorage.prototype, 'get').mockImplementation(async function (
        this: FilesystemStorage,
        key,
        range,
      ) {
        const stream = await original.call(this, key, range);
        opened.push(stream);
        return stream;
      });
      try {
        const port = await listeningPort();
        await new Promise<void>((resolve, reject) => {
          const headers = { 'x-owner-id': TESTER };
          const req = httpRequest({ host: '127.0.0.1', port, path: `/tasks/${id}/download`, headers }, (res) => {
            expect(res.statusCode).toBe(200);
            expect(res.headers['content-length']).toBe(String(BIG_OUTPUT_CHUNKS * 64 * 1024));
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
          req.end();
        });
        const deadline = Date.now() + 2_000;
        while (!(opened[0]?.destroyed ?? false) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(opened).toHaveLength(1);
        expect(opened[0].destroyed).toBe(true);
      } finally {
        spy.mockRestore();
      }
      // Still serving.
      const again = await api().get(`/tasks/${id}/download`).set('Range', 'bytes=0-9').buffer(true).parse(binary);
      expect(again.status).toBe(206);
      expect((again.body as Buffer).toString()).toBe('bbbbbbbbbb');
    });

    it('answers 404 for the download of a completed task without a file', async () => {
      const { id } = await submit('greet', { name: 'NoFile', times: 1 });
      await waitFor(id, finished);
      expectError(await api().get(`/tasks/${id}/download`), 404);
    });

    it('stores traversal names safely inside the task prefix and keeps unicode names', async () => {
      const res = await api()
        .post('/tasks/bundle')
        .attach('files', Buffer.from('1'), '../../etc/passwd')
        .attach('files', Buffer.from('2'), '..\\..\\win.ini')
        .attach('files', Buffer.from('3'), '日本語.txt');
      expect(res.status).toBe(202);
      const id = res.body.id as string;
      await waitFor(id, finished);
      const inputs = storedKeys()
        .filter((k) => k.startsWith(`tasks/${id}/input/`))
        .sort();
      expect(inputs).toEqual([
        `tasks/${id}/input/0-passwd`,
        `tasks/${id}/input/1-win.ini`,
        `tasks/${id}/input/2-日本語.txt`,
      ]);
      const result = await api().get(`/tasks/${id}/result`);
      expect(result.body.output.names).toEqual(['passwd', 'win.ini', '日本語.txt']);
      expect(storedKeys().every((k) => k.startsWith('tasks/'))).toBe(true);

      const unicode = await api().post('/tasks/bundle').attach('files', Buffer.from('r'), 'résumé 2024.pdf');
      await waitFor(unicode.body.id, finished);
      const out = await api().get(`/tasks/${unicode.body.id}/result`);
      expect(out.body.output.names).toEqual(['résumé 2024.pdf']);
    });

    it('answers 413 for too many files and keeps nothing', async () => {
      const before = storedKeys();
      let req = api().post('/tasks/bundle');
      for (let i = 0; i <= LIMITS.maxFiles; i++) req = req.attach('files', Buffer.from(`file ${i}`), `f${i}.txt`);
      const body = expectError(await req, 413);
      expect(body.message).toContain(String(LIMITS.maxFiles));
      expect(storedKeys()).toEqual(before);
    });

    it('answers 413 for too many fields and for an oversized field', async () => {
      const before = storedKeys();
      let req = api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt');
      for (let i = 0; i <= LIMITS.maxFields; i++) req = req.field(`f${i}`, 'v');
      expectError(await req, 413);
      const big = api()
        .post('/tasks/bundle')
        .attach('files', Buffer.from('x'), 'x.txt')
        .field('input', 'x'.repeat(200 * 1024));
      expectError(await big, 413);
      expect(storedKeys()).toEqual(before);
    });

    it('answers 413 when the files of one request together pass the total limit; nothing is left', async () => {
      const before = storedKeys();
      // Each file within its own limit, all of them together over the total.
      const each = Math.floor(LIMITS.maxTotalSize / 3) + 1;
      let req = api().post('/tasks/bundle');
      for (let i = 0; i < 3; i++) req = req.attach('files', Buffer.alloc(each, 'z'), `part${i}.bin`);
      const body = expectError(await req, 413);
      expect(body.message).toContain(String(LIMITS.maxTotalSize));
      expect(storedKeys()).toEqual(before);
    });

    it('answers 413 for a file over the size limit, and the client gets it; nothing is left', async () => {
      const before = storedKeys();
      const res = await api()
        .post('/tasks/bundle')
        .attach('files', Buffer.from('small'), 'ok.txt')
        .attach('files', Buffer.alloc(LIMITS.maxFileSize * 16, 'a'), 'big.bin');
      const body = expectError(res, 413);
      expect(body.message).toContain('big.bin');
      expect(storedKeys()).toEqual(before);
    });

    it('answers 413 before the upload ends: the response arrives while the client is still sending', async () => {
      const before = storedKeys();
      const port = await listeningPort();
      const boundary = 'stepwise-boundary';
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/tasks/bundle',
          headers: {
            'Content-Type': `multipart/form-data; boundary=${boundary}`,
            'Transfer-Encoding': 'chunked',
            'x-owner-id': TESTER,
          },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, text });
          });
        });
        req.write(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="huge.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        );
        // Twice the limit, and never end the request: only an early answer can arrive.
        req.write(Buffer.alloc(LIMITS.maxFileSize * 2, 'z'));
      });
      expect(status).toBe(413);
      expect(JSON.parse(text)).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      // The aborted client must not leave anything either.
      await new Promise((r) => setTimeout(r, 50));
      expect(storedKeys()).toEqual(before);
    });

    it('cleans up when the client aborts mid-upload', async () => {
      const before = storedKeys();
      const port = await listeningPort();
      const boundary = 'abort-boundary';
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/tasks/bundle',
          headers: {
            'Content-Type': `multipart/form-data; boundary=${boundary}`,
            'Transfer-Encoding': 'chunked',
            'x-owner-id': TESTER,
          },
        });
        req.on('error', () => resolve());
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="part.bin"\r\n\r\n`);
        req.write(Buffer.alloc(1024, 'p'), () => setTimeout(() => (req.destroy(), resolve()), 50));
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(storedKeys()).toEqual(before);
    });

    it('answers 400 for a multipart submit without files (the schema requires them), and bad multipart', async () => {
      const before = storedKeys();
      const none = expectError(await api().post('/tasks/bundle').field('title', 'empty'), 400);
      expect(none.details).toEqual([expect.objectContaining({ field: 'files' })]);

      expectError(
        await api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt').field('input', '{not json'),
        400,
      );
      expectError(
        await api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt').field('input', '[1,2]'),
        400,
      );
      expectError(
        await api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt').field('input', '{"files":[]}'),
        400,
      );
      expectError(
        await api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt').field('files', 'text'),
        400,
      );
      expectError(await api().post('/tasks/bundle').attach('other', Buffer.from('x'), 'x.txt'), 400);
      // Files already stored when the schema refuses the input are removed too.
      const typed = expectError(
        await api().post('/tasks/bundle').attach('files', Buffer.from('x'), 'x.txt').field('input', '{"title":5}'),
        400,
      );
      expect(typed.details).toEqual([expect.objectContaining({ field: 'title' })]);
      expectError(await api().post('/tasks/bundle').set('Content-Type', 'multipart/form-data').send('garbage'), 400);
      expectError(
        await api()
          .post('/tasks/bundle')
          .set('Content-Type', 'multipart/form-data; boundary=zzz')
          .send('--zzz\r\nContent-Disposition: form-data; name="files"; filename="t.txt"\r\n\r\ntruncated'),
        400,
      );
      expect(storedKeys()).toEqual(before);
    });

    it('replays a multipart submit by Idempotency-Key without keeping a second copy of the files', async () => {
      const key = `upload-${Date.now()}`;
      const send = () =>
        api().post('/tasks/bundle').set('Idempotency-Key', key).attach('files', Buffer.from('same'), 'same.txt');
      const first = await send();
      expect(first.status).toBe(202);
      await waitFor(first.body.id, finished);
      const before = storedKeys();
      const second = await send();
      expect(second.status).toBe(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.id).toBe(first.body.id);
      expect(storedKeys()).toEqual(before);
      // Other bytes under the same name, or another field: another request (422), and its copy is gone too.
      const changed = await api()
        .post('/tasks/bundle')
        .set('Idempotency-Key', key)
        .attach('files', Buffer.from('else'), 'same.txt');
      expectError(changed, 422);
      const field = await api()
        .post('/tasks/bundle')
        .set('Idempotency-Key', key)
        .field('title', 'another')
        .attach('files', Buffer.from('same'), 'same.txt');
      expectError(field, 422);
      expect(storedKeys()).toEqual(before);
    });

    it('answers 404 for an unknown type before reading the upload', async () => {
      expectError(
        await api()
          .post('/tasks/nope')
          .attach('files', Buffer.alloc(LIMITS.maxFileSize * 4), 'x.bin'),
        404,
      );
    });
  });

  // ------------------------------------------------------------ OpenAPI

  describe('OpenAPI', () => {
    it('documents every route', async () => {
      const paths = openApi.paths as Record<string, Record<string, { tags?: string[] }>>;
      expect(Object.keys(paths)).toEqual(
        expect.arrayContaining([
          '/tasks',
          '/tasks/{type}',
          '/tasks/{id}',
          '/tasks/{id}/result',
          '/tasks/{id}/download',
          '/tasks/{id}/cancel',
          '/tasks/{id}/pause',
          '/tasks/{id}/resume',
        ]),
      );
      expect(paths['/tasks/{type}'].post.tags).toEqual(['tasks']);
      const json = await api().get('/docs-json');
      expect(json.status).toBe(200);
      expect(json.body.paths['/tasks/{id}/download'].get).toBeDefined();
    });
  });
});

/** A superagent parser collecting the body as a Buffer (it hands parsers the raw response stream). */
const binary = ((res: NodeJS.ReadableStream, done: (err: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}) as unknown as (res: request.Response, done: (err: Error | null, body: unknown) => void) => void;

function walk(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
