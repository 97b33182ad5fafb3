import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HeaderOwnerResolver, type OwnerRequest } from '../core/owner-resolver';
import { Step, Task, type StepContext } from '../definition';
import { TaskModule } from '../task.module';
import type { TaskModuleOptions } from '../core/task-module-options';

@Task({ name: 'noop' })
class NoopTask {
  @Step({ order: 1 })
  run() {
    return { ok: true };
  }
}

async function start(dataDir: string, options: TaskModuleOptions): Promise<INestApplication> {
  @Module({ imports: [TaskModule.forRoot({ dataDir, dashboard: false, ...options })], providers: [NoopTask] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return moduleRef.createNestApplication({ logger: false }).init();
}

describe('rate limits (embedded, memory storage)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rate-'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  beforeAll(async () => {
    app = await start(dataDir, {
      ownerResolver: new HeaderOwnerResolver(),
      uploads: { resumable: true },
      rateLimit: {
        submit: { limit: 3, ttlMs: 60_000 },
        read: { limit: 5, ttlMs: 60_000 },
        upload: { limit: 2, ttlMs: 60_000 },
      },
    });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the submit past the limit with 429 and Retry-After; reads and other owners are unaffected', async () => {
    const server = app.getHttpServer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(server).post('/tasks/noop').set(as('alice')).send({}).expect(202);
      ids.push(res.body.id);
    }
    const refused = await request(server).post('/tasks/noop').set(as('alice')).send({}).expect(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('submit'),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // A retry is a submit too.
    await request(server).post(`/tasks/${ids[0]}/retry`).set(as('alice')).expect(429);

    // Reads have their own budget, untouched by the submits.
    await request(server).get(`/tasks/${ids[0]}`).set(as('alice')).expect(200);
    await request(server).get('/tasks').set(as('alice')).expect(200);
    // Another owner has a budget of its own.
    await request(server).post('/tasks/noop').set(as('bob')).send({}).expect(202);
  });

  it('limits reads per owner, apart from submits', async () => {
    const server = app.getHttpServer();
    for (let i = 0; i < 5; i++) await request(server).get('/tasks').set(as('carol')).expect(200);
    const refused = await request(server).get('/tasks').set(as('carol')).expect(429);
    expect(refused.body.message).toContain('read');
    expect(refused.headers['retry-after']).toBeDefined();
    await request(server).post('/tasks/noop').set(as('carol')).send({}).expect(202);
    await request(server).get('/tasks').set(as('dave')).expect(200);
  });

  it('limits tus creations (POST and PATCH)', async () => {
    const server = app.getHttpServer();
    const create = () =>
      request(server)
        .post('/uploads/')
        .set({ 'Tus-Resumable': '1.0.0', 'Upload-Length': '4', ...as('erin') });
    await create().expect(201);
    await create().expect(201);
    const refused = await create().expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
    // Unidentified callers are counted by address: the handler answers them 401 until their limit.
    await request(server).get('/tasks').expect(401);
  });
});

describe('rate limits of anonymous callers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rate-anon-'));
  let app: INestApplication;

  beforeAll(async () => {
    app = await start(dataDir, { rateLimit: { submit: { limit: 2, ttlMs: 60_000 } } });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts them by address; unconfigured classes are not limited', async () => {
    const server = app.getHttpServer();
    await request(server).post('/tasks/noop').send({}).expect(202);
    await request(server).post('/tasks/noop').send({}).expect(202);
    await request(server).post('/tasks/noop').send({}).expect(429);
    for (let i = 0; i < 20; i++) await request(server).get('/tasks').expect(200);
  });
});

describe('rate limits off (the default)', () => {
  it('resolves to no limiter', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rate-off-'));
    const app = await start(dataDir, {});
    try {
      for (let i = 0; i < 10; i++) await request(app.getHttpServer()).post('/tasks/noop').send({}).expect(202);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('quota of active tasks', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-quota-'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  @Task({ name: 'held' })
  class HeldTask {
    @Step({ order: 1 })
    async run(ctx: StepContext) {
      // Runs until cancelled.
      await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    }
  }

  beforeAll(async () => {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          dashboard: false,
          ownerResolver: new HeaderOwnerResolver(),
          quotas: { activeTasks: 2 },
          engine: { shutdownGraceMs: 0 },
        }),
      ],
      providers: [HeldTask, NoopTask],
    })
    class QuotaModule {}
    const moduleRef = await Test.createTestingModule({ imports: [QuotaModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a submit past the owner’s active tasks with a 403 naming the quota; other owners are unaffected', async () => {
    const server = app.getHttpServer();
    const first = await request(server).post('/tasks/held').set(as('alice')).send({}).expect(202);
    await request(server).post('/tasks/held').set(as('alice')).send({}).expect(202);
    const refused = await request(server).post('/tasks/noop').set(as('alice')).send({}).expect(403);
    expect(refused.body).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringContaining('activeTasks'),
      details: { quota: 'activeTasks', limit: 2, used: 2 },
    });
    await request(server).post('/tasks/noop').set(as('bob')).send({}).expect(202);

    // A cancelled task is terminal: the owner may submit again.
    await request(server).post(`/tasks/${first.body.id}/cancel`).set(as('alice')).expect(202);
    for (let i = 0; i < 50; i++) {
      const task = await request(server).get(`/tasks/${first.body.id}`).set(as('alice'));
      if (task.body.status === 'cancelled') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await request(server).post('/tasks/noop').set(as('alice')).send({}).expect(202);
    // The other held task ends with the test.
    const list = await request(server).get('/tasks?status=running').set(as('alice')).expect(200);
    for (const task of list.body.items ?? []) await request(server).post(`/tasks/${task.id}/cancel`).set(as('alice'));
  });
});

describe('rate limits and the owner resolver', () => {
  it('resolve the caller once per request (the guard and the handler share it)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rate-once-'));
    const header = new HeaderOwnerResolver();
    const counting = { calls: 0, resolve: (req: OwnerRequest) => (counting.calls++, header.resolve(req)) };
    const app = await start(dataDir, { ownerResolver: counting, rateLimit: { read: { limit: 10, ttlMs: 60_000 } } });
    try {
      await request(app.getHttpServer()).get('/tasks').set({ 'x-owner-id': 'alice' }).expect(200);
      expect(counting.calls).toBe(1);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
