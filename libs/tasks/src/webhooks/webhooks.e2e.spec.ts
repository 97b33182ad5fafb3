import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { Step, Task, type StepContext } from '../definition';
import { NonRetryableError } from '../engine';
import { MemoryTaskStore } from '../adapters/memory';
import { HeaderOwnerResolver } from '../core';
import { TaskModule } from '../task.module';
import type { TaskStore } from '../ports';
import type { WebhookOutbox } from '../ports/webhook-outbox';
import type { WebhookPayload } from './webhook-payload';
import { eventually, verifyStepwiseSignature, WebhookReceiver } from './testing/webhook-receiver';
import type { WebhookOptions } from '../core/webhook-settings';
import { WEBHOOK_OUTBOX } from './webhook-tokens';
import type { WebhookDeliveryListView, WebhookDeliveryView } from './webhook-view';

const SECRET = 'e2e-webhook-secret-0123456789abcdef';

@Task({ name: 'hook-quick', input: z.object({ n: z.number().int().default(1) }) })
class QuickTask {
  @Step({ order: 1, on: 'worker' })
  run(ctx: StepContext<{ n: number }>) {
    return { doubled: ctx.input.n * 2 };
  }
}

@Task({ name: 'hook-fail' })
class FailingTask {
  @Step({ order: 1 })
  run(): never {
    throw new NonRetryableError('no can do');
  }
}

@Task({ name: 'hook-progress' })
class ProgressTask {
  @Step({ order: 1 })
  async run(ctx: StepContext) {
    ctx.progress(0.5, 'half way');
    await new Promise((r) => setTimeout(r, 30));
    return { ok: true };
  }
}

/** The webhook options every app of this file starts from: fast polls and retries. */
const FAST: WebhookOptions = {
  secret: SECRET,
  allowPrivate: true,
  pollIntervalMs: 25,
  retryDelayMs: 50,
  maxRetryDelayMs: 200,
  timeoutMs: 2_000,
};

describe('Webhooks through TaskModule (HTTP + SQLite)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-webhooks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function startApp(
    dataDir: string,
    webhooks: WebhookOptions = FAST,
    overrides: { store?: TaskStore } = {},
  ): Promise<INestApplication> {
    @Module({
      imports: [
        TaskModule.forRoot({
          ...overrides,
          dataDir,
          engine: { progressThrottleMs: 0, sweepIntervalMs: 100 },
          ownerResolver: new HeaderOwnerResolver(),
          webhooks,
        }),
      ],
      providers: [QuickTask, FailingTask, ProgressTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await app.close();
    };
    cleanups.push(close);
    (app as INestApplication & { closeOnce: () => Promise<void> }).closeOnce = close;
    return app;
  }

  async function startReceiver(receiver = new WebhookReceiver(), port = 0): Promise<WebhookReceiver> {
    cleanups.push(() => receiver.stop());
    return receiver.start(port);
  }

  async function submit(
    app: INestApplication,
    type: string,
    body: object,
    callbackUrl?: string,
    owner = 'alice',
  ): Promise<string> {
    const res = await request(app.getHttpServer())
      .post(`/tasks/${type}`)
      .query(callbackUrl ? { callbackUrl } : {})
      .set('x-owner-id', owner)
      .send(body);
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  }

  async function deliveryLog(app: INestApplication, id: string, owner = 'alice'): Promise<WebhookDeliveryView[]> {
    const res = await request(app.getHttpServer()).get(`/tasks/${id}/webhooks`).set('x-owner-id', owner);
    expect(res.status).toBe(200);
    return (res.body as WebhookDeliveryListView).items;
  }

  /** The log once every delivery of the task has settled (and there are `count` of them). */
  const settledLog = (app: INestApplication, id: string, count = 1) =>
    eventually(async () => {
      const items = await deliveryLog(app, id);
      return items.length === count && items.every((d) => d.status !== 'pending') ? items : undefined;
    });

  const bodies = (receiver: WebhookReceiver) =>
    receiver.requests.map((r) => JSON.parse(r.rawBody.toString('utf8')) as WebhookPayload);

  it('notifies the callbackUrl of task.completed only, signed, and logs it per task (owner-scoped)', async () => {
    const receiver = await startReceiver();
    const app = await startApp(tempDir());
    const id = await submit(app, 'hook-quick', { n: 21 }, receiver.url('/done?token=abc'));

    const [delivery] = await settledLog(app, id);
    expect(delivery).toEqual({
      id: expect.any(String),
      url: receiver.url('/done?token=abc'),
      target: 'callback',
      event: 'task.completed',
      status: 'delivered',
      attempts: 1,
      maxAttempts: 8,
      lastStatusCode: 204,
      lastError: null,
      nextAttemptAt: null,
      deliveredAt: expect.stringMatching(/Z$/),
      createdAt: expect.stringMatching(/Z$/),
      history: [{ attempt: 1, at: expect.any(String), statusCode: 204, error: null, durationMs: expect.any(Number) }],
    });

    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req.path).toBe('/done?token=abc');
    expect(req.headers['x-stepwise-delivery']).toBe(delivery.id);
    expect(verifyStepwiseSignature(req.rawBody, req.headers['x-stepwise-signature'] as string, SECRET)).toBe(true);
    expect(bodies(receiver)).toEqual([
      {
        id: delivery.id,
        event: 'task.completed',
        taskId: id,
        taskType: 'hook-quick',
        status: 'completed',
        progress: 1,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.+Z$/),
        output: { doubled: 42 },
      },
    ]);

    // Owner-scoped like the task: another owner, an unknown id and garbage are 404s.
    const api = request(app.getHttpServer());
    const other = await api.get(`/tasks/${id}/webhooks`).set('x-owner-id', 'mallory');
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    const missing = '/tasks/00000000-0000-4000-8000-000000000000/webhooks';
    expect((await api.get(missing).set('x-owner-id', 'alice')).status).toBe(404);
    expect((await api.get('/tasks/not-a-uuid/webhooks').set('x-owner-id', 'alice')).status).toBe(404);
    // Nobody named: refused before anything is looked up.
    expect((await api.get(`/tasks/${id}/webhooks`)).status).toBe(401);
  });

  it('sends task.failed with the error', async () => {
    const receiver = await startReceiver();
    const app = await startApp(tempDir());
    const id = await submit(app, 'hook-fail', {}, receiver.url());
    await settledLog(app, id);
    expect(bodies(receiver)).toEqual([
      expect.objectContaining({
        event: 'task.failed',
        taskId: id,
        status: 'failed',
        error: expect.objectContaining({ message: 'no can do' }),
      }),
    ]);
  });

  it('sends progress only when includeProgress is set', async () => {
    const receiver = await startReceiver();
    const quiet = await startApp(tempDir());
    const first = await submit(quiet, 'hook-progress', {}, receiver.url('/quiet'));
    await settledLog(quiet, first);
    expect(bodies(receiver).map((b) => b.event)).toEqual(['task.completed']);

    const chatty = await startApp(tempDir(), { ...FAST, includeProgress: true });
    const second = await submit(chatty, 'hook-progress', {}, receiver.url('/chatty'));
    const log = await eventually(async () => {
      const items = await deliveryLog(chatty, second);
      const done = items.some((d) => d.event === 'task.completed') && items.every((d) => d.status === 'delivered');
      return done ? items : undefined;
    });
    expect(log.map((d) => d.event)).toContain('task.progress');
    const progress = bodies(receiver).filter((b) => b.taskId === second && b.event === 'task.progress');
    expect(progress).toContainEqual(
      expect.objectContaining({ status: 'running', progress: 0.5, message: 'half way', step: 'run' }),
    );
  });

  it('sends the events of every task to a global subscription, its URL shown as an origin only', async () => {
    const receiver = await startReceiver();
    const app = await startApp(tempDir(), {
      ...FAST,
      subscriptions: [{ url: receiver.url('/all/secret-token'), events: ['task.created', 'task.completed'] }],
    });
    const a = await submit(app, 'hook-quick', { n: 1 });
    const b = await submit(app, 'hook-quick', { n: 2 }, undefined, 'bob');
    await eventually(() => (receiver.requests.length >= 4 ? true : undefined));
    const seen = bodies(receiver).map((body) => `${body.taskId}:${body.event}`);
    expect(seen.sort()).toEqual(
      [`${a}:task.created`, `${a}:task.completed`, `${b}:task.created`, `${b}:task.completed`].sort(),
    );
    expect(receiver.requests.every((r) => r.path === '/all/secret-token')).toBe(true);
    const log = await settledLog(app, a, 2);
    expect(log.map((d) => [d.target, d.url])).toEqual([
      ['subscription', `http://127.0.0.1:${receiver.port}`],
      ['subscription', `http://127.0.0.1:${receiver.port}`],
    ]);
  });

  it('retries a failing receiver and shows each status code in the log', async () => {
    const receiver = await startReceiver(WebhookReceiver.statuses(500, 500, 200));
    const app = await startApp(tempDir());
    const id = await submit(app, 'hook-quick', {}, receiver.url());
    const [delivery] = await settledLog(app, id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    expect(delivery.history.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.rawBody.toString())).size).toBe(1);
  });

  it('survives a restart: a delivery pending when the app stops is sent by the next one', async () => {
    const dataDir = tempDir();
    // A port with nobody listening yet: the first attempt is refused.
    const probe = await new WebhookReceiver().start();
    const port = probe.port;
    await probe.stop();

    const first = await startApp(dataDir, { ...FAST, retryDelayMs: 1_000, maxRetryDelayMs: 1_000 });
    const id = await submit(first, 'hook-quick', { n: 5 }, `http://127.0.0.1:${port}/later`);
    const [failed] = await eventually(async () => {
      const items = await deliveryLog(first, id);
      return items.length === 1 && items[0].attempts === 1 ? items : undefined;
    });
    expect(failed).toMatchObject({ status: 'pending', lastStatusCode: null });
    expect(failed.lastError).toMatch(/ECONNREFUSED/);
    await (first as INestApplication & { closeOnce: () => Promise<void> }).closeOnce();

    const receiver = await startReceiver(new WebhookReceiver(), port);
    const second = await startApp(dataDir);
    const [delivered] = await settledLog(second, id);
    expect(delivered).toMatchObject({ id: failed.id, status: 'delivered', attempts: 2 });
    expect(delivered.history.map((a) => a.statusCode)).toEqual([null, 204]);
    expect(bodies(receiver)).toEqual([expect.objectContaining({ id: failed.id, taskId: id, output: { doubled: 10 } })]);
  });

  it('DELETE of a task removes its delivery log with it', async () => {
    const receiver = await startReceiver();
    const app = await startApp(tempDir(), {
      ...FAST,
      subscriptions: [{ url: receiver.url('/all'), events: ['task.created', 'task.completed'] }],
    });
    const id = await submit(app, 'hook-quick', { n: 3 });
    expect((await settledLog(app, id, 2)).map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const outbox = app.get<WebhookOutbox>(WEBHOOK_OUTBOX);
    expect(await outbox.listForTask(id)).toHaveLength(2);

    const res = await request(app.getHttpServer()).delete(`/tasks/${id}`).set('x-owner-id', 'alice');
    expect(res.status).toBe(204);
    // The rows (and the output in their payload) went in the delete's transaction.
    expect(await outbox.listForTask(id)).toEqual([]);
  });

  it('delivers with a MemoryTaskStore override, from the rows that store writes', async () => {
    const receiver = await startReceiver();
    const app = await startApp(tempDir(), FAST, { store: new MemoryTaskStore() });
    const id = await submit(app, 'hook-quick', { n: 4 }, receiver.url('/memory'));
    const [delivery] = await settledLog(app, id);
    expect(delivery).toMatchObject({ event: 'task.completed', status: 'delivered' });
    expect(bodies(receiver)).toEqual([expect.objectContaining({ taskId: id, output: { doubled: 8 } })]);
  });

  it('sends nothing with a store override no outbox reads, and runs tasks as usual', async () => {
    const receiver = await startReceiver();
    const inner = new MemoryTaskStore();
    // A store of another kind (not a MemoryTaskStore): Stepwise cannot know where its deliveries would go.
    const methods = Object.getOwnPropertyNames(MemoryTaskStore.prototype).filter((m) => m !== 'constructor');
    const foreign = Object.fromEntries(
      methods.map((m) => [
        m,
        (...args: unknown[]) => (inner as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...args),
      ]),
    ) as unknown as TaskStore;
    const app = await startApp(tempDir(), FAST, { store: foreign });
    const id = await submit(app, 'hook-quick', { n: 1 }, receiver.url('/never'));
    await eventually(async () => ((await inner.get(id))?.status === 'completed' ? true : undefined));
    expect(await deliveryLog(app, id)).toEqual([]);
    // No notifier was wired: no rows written for nobody to send.
    expect(inner.webhookDeliveries.byId.size).toBe(0);
    expect(receiver.requests).toEqual([]);
  });

  it('refuses a literal private callback target at submit without the allow flag: 400, no task, no delivery', async () => {
    const receiver = await startReceiver();
    const { allowPrivate: _allowed, ...guarded } = FAST;
    const app = await startApp(tempDir(), guarded);
    // Names that only resolve to private addresses are refused by the dispatcher at each
    // attempt (target-guard.spec.ts; test/distributed/webhooks.spec.ts with this host's name).
    const res = await request(app.getHttpServer())
      .post('/tasks/hook-quick')
      .query({ callbackUrl: receiver.url('/nope') })
      .set('x-owner-id', 'alice')
      .send({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(/callbackUrl must not target 127\.0\.0\.1/),
      details: [{ field: 'callbackUrl', message: expect.any(String) }],
    });
    const list = await request(app.getHttpServer()).get('/tasks').set('x-owner-id', 'alice');
    expect(list.body.items).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });
});
