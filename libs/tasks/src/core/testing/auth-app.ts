/**
 * Shared by the authentication and authorization specs: two small tasks, a
 * real Nest app on an ephemeral port with resumable uploads on, and helpers
 * that play every route (REST, SSE, tus) and the Socket.IO handshake with a
 * given set of headers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Module, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import { z } from 'zod';
import { Step, Task, type StepContext } from '../../definition';
import type { TaskModuleOptions } from '../task-module-options';
import { TaskModule } from '../../task.module';
import { openSse } from '../../realtime/testing/sse-client';

/** Writes `text` as its result file at once. */
@Task({ name: 'auth-note', input: z.object({ text: z.string().max(100).default('hello') }) })
export class AuthNoteTask {
  @Step({ order: 1 })
  async write(ctx: StepContext<{ text: string }>) {
    const key = `${ctx.storagePrefix}output/note.txt`;
    const stored = await ctx.storage.put(key, Readable.from([Buffer.from(ctx.input.text)]), {
      contentType: 'text/plain',
    });
    ctx.setResultFile({ key, name: 'note.txt', size: stored.size, contentType: 'text/plain', sha256: stored.sha256 });
    return { length: stored.size };
  }
}

/** Runs until cancelled: something to cancel, pause and follow. */
@Task({ name: 'auth-hold', input: z.object({}) })
export class AuthHoldTask {
  @Step({ order: 1 })
  async hold(ctx: StepContext) {
    await new Promise<void>((_resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('held too long')), 30_000);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
    });
  }
}

/** Fails at once: something to retry. */
@Task({ name: 'auth-fail', input: z.object({}) })
export class AuthFailTask {
  @Step({ order: 1, retry: { attempts: 1 } })
  fail(): never {
    throw new Error('always');
  }
}

export type Headers = Record<string, string>;

export interface AuthApp {
  app: INestApplication;
  port: number;
  url: string;
  http(): ReturnType<typeof request>;
  /** Submits `auth-note` (or `type`) as the caller of `headers` and waits for its end. */
  finished(headers: Headers, type?: string): Promise<string>;
  /** Submits `auth-hold` as the caller of `headers`: a running task. */
  running(headers: Headers): Promise<string>;
  /** Creates a tus upload as the caller of `headers`; answers its URL path. */
  upload(headers: Headers): Promise<string>;
  close(): Promise<void>;
}

export async function startAuthApp(
  options: TaskModuleOptions,
  configure?: (app: INestApplication) => void | Promise<void>,
  host: Pick<ModuleMetadata, 'imports' | 'providers'> = {},
): Promise<AuthApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-auth-'));
  @Module({
    imports: [
      TaskModule.forRoot({
        dataDir,
        engine: { sweepIntervalMs: 200, shutdownGraceMs: 100, abortGraceMs: 100 },
        uploads: { resumable: true },
        ...options,
      }),
      ...(host.imports ?? []),
    ],
    providers: [AuthNoteTask, AuthHoldTask, AuthFailTask, ...(host.providers ?? [])],
  })
  class AuthTestModule {}

  const moduleRef = await Test.createTestingModule({ imports: [AuthTestModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const http = () => request(app.getHttpServer());
  const submit = async (type: string, headers: Headers) => {
    const res = await http().post(`/tasks/${type}`).set(headers).send({});
    if (res.status !== 202) throw new Error(`submit ${type}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { id: string }).id;
  };
  const statusOf = async (id: string, headers: Headers) =>
    ((await http().get(`/tasks/${id}`).set(headers)).body as { status?: string }).status;
  const until = async (id: string, headers: Headers, done: (status: string | undefined) => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!done(await statusOf(id, headers))) {
      if (Date.now() > deadline) throw new Error(`task ${id} never got there`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return id;
  };
  return {
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    http,
    finished: async (headers, type = 'auth-note') =>
      until(await submit(type, headers), headers, (s) => s === 'completed' || s === 'failed'),
    running: async (headers) => until(await submit('auth-hold', headers), headers, (s) => s === 'running'),
    async upload(headers) {
      const res = await http()
        .post('/uploads')
        .set({ ...headers, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' });
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.text}`);
      return new URL(res.headers.location as string, 'http://x').pathname;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One call of the API, with the status an authorized caller of another owner's task would get (404). */
export interface RouteCall {
  name: string;
  call(app: AuthApp, headers: Headers): Promise<number>;
}

/**
 * Every route that acts on one task, or on one upload, in the caller's
 * scope: each answers 401 without a credential and 404 to another owner.
 * `task` is a running task, `done` a finished one (with a result file),
 * `upload` an unfinished tus upload's path, all of one owner.
 */
export function scopedRoutes(ids: () => { task: string; done: string; upload: string }): RouteCall[] {
  const status = async (r: Promise<{ status: number }>) => (await r).status;
  return [
    { name: 'GET /tasks/{id}', call: (a, h) => status(a.http().get(`/tasks/${ids().task}`).set(h)) },
    { name: 'GET /tasks/{id}/result', call: (a, h) => status(a.http().get(`/tasks/${ids().done}/result`).set(h)) },
    {
      name: 'GET /tasks/{id}/download',
      call: (a, h) => status(a.http().get(`/tasks/${ids().done}/download`).set(h)),
    },
    { name: 'GET /tasks/{id}/webhooks', call: (a, h) => status(a.http().get(`/tasks/${ids().task}/webhooks`).set(h)) },
    {
      name: 'GET /tasks/{id}/events (SSE)',
      call: async (a, h) => {
        const sse = await openSse(a.port, `/tasks/${ids().task}/events`, h);
        sse.close();
        return sse.status;
      },
    },
    { name: 'POST /tasks/{id}/cancel', call: (a, h) => status(a.http().post(`/tasks/${ids().task}/cancel`).set(h)) },
    { name: 'POST /tasks/{id}/pause', call: (a, h) => status(a.http().post(`/tasks/${ids().task}/pause`).set(h)) },
    { name: 'POST /tasks/{id}/resume', call: (a, h) => status(a.http().post(`/tasks/${ids().task}/resume`).set(h)) },
    { name: 'POST /tasks/{id}/retry', call: (a, h) => status(a.http().post(`/tasks/${ids().done}/retry`).set(h)) },
    { name: 'DELETE /tasks/{id}', call: (a, h) => status(a.http().delete(`/tasks/${ids().done}`).set(h)) },
    {
      name: 'HEAD /uploads/{id} (tus)',
      call: (a, h) =>
        status(
          a
            .http()
            .head(ids().upload)
            .set({ ...h, 'Tus-Resumable': '1.0.0' }),
        ),
    },
    {
      name: 'PATCH /uploads/{id} (tus)',
      call: (a, h) =>
        status(
          a
            .http()
            .patch(ids().upload)
            .set({
              ...h,
              'Tus-Resumable': '1.0.0',
              'Upload-Offset': '0',
              'Content-Type': 'application/offset+octet-stream',
            })
            .send(Buffer.from('12345')),
        ),
    },
    {
      name: 'DELETE /uploads/{id} (tus)',
      call: (a, h) =>
        status(
          a
            .http()
            .delete(ids().upload)
            .set({ ...h, 'Tus-Resumable': '1.0.0' }),
        ),
    },
  ];
}

/** Routes that need no existing resource: each answers 401 without a credential. */
export function openRoutes(): RouteCall[] {
  const status = async (r: Promise<{ status: number }>) => (await r).status;
  return [
    { name: 'GET /tasks', call: (a, h) => status(a.http().get('/tasks').set(h)) },
    { name: 'GET /tasks/stats', call: (a, h) => status(a.http().get('/tasks/stats').set(h)) },
    { name: 'POST /tasks/{type}', call: (a, h) => status(a.http().post('/tasks/auth-note').set(h).send({})) },
    {
      name: 'POST /tasks/{type} (multipart)',
      call: (a, h) =>
        status(a.http().post('/tasks/auth-note').set(h).field('text', 'x').attach('files', Buffer.from('x'), 'x.txt')),
    },
    { name: 'DELETE /tasks (bulk)', call: (a, h) => status(a.http().delete('/tasks?status=completed').set(h)) },
    { name: 'POST /tasks/retry (bulk)', call: (a, h) => status(a.http().post('/tasks/retry').set(h)) },
    {
      name: 'POST /uploads (tus)',
      call: (a, h) =>
        status(
          a
            .http()
            .post('/uploads')
            .set({ ...h, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10' }),
        ),
    },
  ];
}

/**
 * A Socket.IO connection to `/tasks` with `headers` and `auth`: resolves
 * `{ socket }` once connected and identified (a subscribe answered), or
 * `{ refused }` with the `error` event the gateway sent before disconnecting.
 */
export async function handshake(
  port: number,
  options: { headers?: Headers; auth?: Record<string, unknown> },
): Promise<{ socket?: Socket; refused?: { statusCode: number; message: string } }> {
  const socket = io(`http://127.0.0.1:${port}/tasks`, {
    extraHeaders: options.headers ?? {},
    auth: options.auth ?? {},
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (socket.disconnect(), reject(new Error('no answer within 5 s'))), 5_000);
    socket.on('error', (refused: { statusCode: number; message: string }) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ refused });
    });
    socket.on('connect_error', (error) => (clearTimeout(timer), reject(error)));
    socket.on('connect', () => {
      // The gateway identifies the socket as it connects; a first ack proves it was accepted.
      socket
        .timeout(5_000)
        .emitWithAck('unsubscribe', { taskId: '00000000-0000-4000-8000-000000000000' })
        .then((ack: { ok: boolean }) => {
          if (!ack.ok) return;
          clearTimeout(timer);
          resolve({ socket });
        })
        .catch(() => undefined);
    });
  });
}

/** What a scheme's spec gives the shared suite: the app, and credentials as headers. */
export interface SchemeUnderTest {
  api: AuthApp;
  /** Headers carrying a valid credential of alice, bob (no roles) and an admin. */
  alice: Headers;
  bob: Headers;
  admin: Headers;
  /** Headers with a credential that must be refused (wrong, expired, revoked...), by label. */
  wrong: Record<string, Headers>;
  /** alice's credential as the Socket.IO `auth` payload of a browser. */
  aliceAuth: Record<string, unknown>;
}

/**
 * The behaviour every authentication scheme shares: each route and the
 * Socket.IO handshake refuse a missing or wrong credential (401 JSON), another
 * owner's resources are a 404, an admin sees them.
 */
export function describeSchemeContract(name: string, setup: () => Promise<SchemeUnderTest>): void {
  describe(`authentication contract: ${name}`, () => {
    let scheme: SchemeUnderTest;
    let ids: { task: string; done: string; upload: string };

    beforeAll(async () => {
      scheme = await setup();
      ids = {
        task: await scheme.api.running(scheme.alice),
        done: await scheme.api.finished(scheme.alice),
        upload: await scheme.api.upload(scheme.alice),
      };
    }, 30_000);
    afterAll(() => scheme?.api.close());

    const routes = [...openRoutes(), ...scopedRoutes(() => ids)];

    it.each(routes.map((route) => [route.name, route]))('%s: 401 without a credential', async (_name, route) => {
      expect(await route.call(scheme.api, {})).toBe(401);
    });

    it.each(routes.map((route) => [route.name, route]))('%s: 401 with a wrong credential', async (_name, route) => {
      for (const [label, headers] of Object.entries(scheme.wrong)) {
        expect([label, await route.call(scheme.api, headers)]).toEqual([label, 401]);
      }
    });

    it.each(scopedRoutes(() => ids).map((route) => [route.name, route]))(
      "%s: 404 on another owner's resource",
      async (_name, route) => {
        expect(await route.call(scheme.api, scheme.bob)).toBe(404);
      },
    );

    it('answers the refusal as JSON, and serves the owner', async () => {
      const refused = await scheme.api.http().get('/tasks');
      expect(refused.body).toEqual(expect.objectContaining({ statusCode: 401, error: 'Unauthorized' }));
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await scheme.api.http().get(`/tasks/${ids.done}`).set(scheme.alice)).status).toBe(200);
      const download = await scheme.api.http().get(`/tasks/${ids.done}/download`).set(scheme.alice);
      expect([download.status, download.text]).toEqual([200, 'hello']);
    });

    it("lets an admin see another owner's task", async () => {
      expect((await scheme.api.http().get(`/tasks/${ids.done}`).set(scheme.admin)).status).toBe(200);
      const list = await scheme.api.http().get('/tasks?limit=100').set(scheme.admin);
      expect((list.body as { items: Array<{ id: string }> }).items.map((t) => t.id)).toContain(ids.done);
      expect((await scheme.api.http().get('/tasks?limit=100').set(scheme.bob)).body).toMatchObject({ items: [] });
    });

    it('refuses a Socket.IO handshake without a credential or with a wrong one', async () => {
      expect((await handshake(scheme.api.port, {})).refused).toMatchObject({ statusCode: 401 });
      for (const headers of Object.values(scheme.wrong)) {
        expect((await handshake(scheme.api.port, { headers })).refused).toMatchObject({ statusCode: 401 });
      }
      const token = Object.values(scheme.wrong)[0]?.authorization?.replace(/^Bearer /, '') ?? 'nope';
      expect((await handshake(scheme.api.port, { auth: { token } })).refused).toMatchObject({ statusCode: 401 });
    });

    it("accepts the credential as the handshake's auth payload (browsers) or header, scoped to its owner", async () => {
      const { socket } = await handshake(scheme.api.port, { auth: scheme.aliceAuth });
      const { socket: other } = await handshake(scheme.api.port, { headers: scheme.bob });
      try {
        expect(socket).toBeDefined();
        expect(await socket!.timeout(5_000).emitWithAck('subscribe', { taskId: ids.task })).toMatchObject({
          ok: true,
        });
        expect(await other!.timeout(5_000).emitWithAck('subscribe', { taskId: ids.task })).toMatchObject({
          ok: false,
          error: { statusCode: 404 },
        });
      } finally {
        socket?.disconnect();
        other?.disconnect();
      }
    });
  });
}
