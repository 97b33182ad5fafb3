import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Inject, Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import request from 'supertest';
import { Step, Task } from './definition';
import { TaskSubmitter } from './core';
import { TaskEngine } from './engine';
import { StepwiseHealthIndicator, TaskHealthModule } from './health';
import { TaskModule } from './task.module';
import type { TaskModuleExtras, TaskModuleOptions } from '.';

@Task({ name: 'public-echo' })
class PublicEchoTask {
  @Step({ order: 1 })
  run() {
    return { ok: true };
  }
}

@Task({ name: 'internal-report', http: false })
class InternalReportTask {
  @Step({ order: 1 })
  run() {
    return { rows: 3 };
  }
}

/** A host app's own health route, built on the exported indicator. */
@Controller('status')
class HostHealthController {
  constructor(private readonly stepwise: StepwiseHealthIndicator) {}

  @Get()
  database(): Promise<HealthIndicatorResult> {
    return this.stepwise.database();
  }
}

/** A host service a task depends on, from a module of the host. */
@Injectable()
class Greeter {
  greet(name: string) {
    return `hello ${name}`;
  }
}

@Module({ providers: [Greeter], exports: [Greeter] })
class GreeterModule {}

@Task({ name: 'greet', http: false })
class GreetTask {
  constructor(@Inject(Greeter) private readonly greeter: Greeter) {}

  @Step({ order: 1 })
  run() {
    return this.greeter.greet('feature');
  }
}

/** How TaskModule behaves inside a host app: what it mounts, where, and what it leaves alone. */
describe('TaskModule in a host app', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-host-'));
  let app: INestApplication | undefined;

  async function start(options: TaskModuleOptions & Partial<TaskModuleExtras>, imports: unknown[] = []) {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ...options }), ...(imports as never[])],
      providers: [PublicEchoTask, InternalReportTask],
    })
    class HostModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps a type declared http: false off REST, while code submits it and its owner reads it', async () => {
    const server = (await start({})).getHttpServer();
    const refused = await request(server).post('/tasks/internal-report').send({}).expect(404);
    expect(refused.body).toMatchObject({ statusCode: 404, message: 'Unknown task type "internal-report"' });
    await request(server).post('/tasks/public-echo').send({}).expect(202);

    const { task } = await app!.get(TaskEngine).submit({ type: 'internal-report', input: {}, owner: 'anonymous' });
    const view = await request(server).get(`/tasks/${task.id}`).expect(200);
    expect(view.body).toMatchObject({ id: task.id, type: 'internal-report' });
  });

  it('serves the REST routes under routePrefix, with links that follow', async () => {
    const server = (await start({ routePrefix: '/api/v1/' })).getHttpServer();
    const created = await request(server).post('/api/v1/tasks/public-echo').send({}).expect(202);
    expect(created.headers.location).toBe(`/api/v1/tasks/${created.body.id}`);
    expect(created.body.links.self).toBe(`/api/v1/tasks/${created.body.id}`);
    await request(server).get(`/api/v1/tasks/${created.body.id}`).expect(200);
    await request(server).get(`/api/v1/tasks/${created.body.id}/webhooks`).expect(200);
    await request(server).post('/tasks/public-echo').send({}).expect(404);
  });

  it('refuses a routePrefix that is not a path', () => {
    expect(() => TaskModule.forRoot({ routePrefix: 'api?x=1' })).toThrow(/routePrefix must be a path/);
  });

  it('mounts /health only when asked', async () => {
    await request((await start({})).getHttpServer())
      .get('/health')
      .expect(404);
    await app!.close();
    const res = await request((await start({ health: true })).getHttpServer())
      .get('/health')
      .expect(200);
    expect(res.body.info.database.status).toBe('up');
  });

  it("exports the health indicator for the host's own health controller", async () => {
    @Module({ imports: [TaskHealthModule], controllers: [HostHealthController] })
    class HostHealthModule {}
    const server = (await start({}, [HostHealthModule])).getHttpServer();
    const res = await request(server).get('/status').expect(200);
    expect(res.body).toEqual({ database: { status: 'up', latencyMs: expect.any(Number) } });
    await request(server).get('/health').expect(404);
  });

  it('runs the tasks forFeature registers, their dependencies coming from its imports', async () => {
    @Module({
      imports: [
        TaskModule.forRoot({ dataDir, dashboard: false }),
        TaskModule.forFeature([GreetTask], { imports: [GreeterModule] }),
      ],
    })
    class FeatureHostModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FeatureHostModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const done = await (await app.get(TaskSubmitter).submit(GreetTask, {})).done();
    expect(done).toMatchObject({ status: 'completed', output: 'hello feature' });
  });

  it('refuses in forFeature a class that is not a task, naming it', () => {
    expect(() => TaskModule.forFeature([Greeter])).toThrow('Invalid task Greeter: missing @Task()');
  });
});
