import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TaskSubmitter } from '../core/task-submitter';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { Compensate, Step, Task, TaskRegistry, type StepContext } from '../definition';
import { NonRetryableError, TaskEngine } from '../engine';
import { TaskModule } from '../task.module';

/** Fails its `publish` step until the "deploy" that fixes it. */
const world = { fixed: false, fetched: 0, reserved: 0, released: 0 };

@Task({ name: 'import-feed' })
class ImportFeedTask {
  @Step({ order: 1 })
  fetch() {
    world.fetched++;
    return { rows: 42 };
  }

  @Step({ order: 2 })
  reserve() {
    world.reserved++;
    return { slot: world.reserved };
  }

  @Compensate('reserve')
  release() {
    world.released++;
  }

  @Step({ order: 3 })
  publish(ctx: StepContext<unknown, { fetch: { rows: number }; reserve: { slot: number } }>) {
    if (!world.fixed) throw new NonRetryableError('publisher is broken');
    return { published: ctx.outputs.fetch!.rows, slot: ctx.outputs.reserve!.slot };
  }
}

describe('retry of failed tasks', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-retry-'));
  let app: INestApplication;
  let tasks: TaskSubmitter;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ownerResolver: new HeaderOwnerResolver() })],
      providers: [ImportFeedTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    tasks = app.get(TaskSubmitter);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => Object.assign(world, { fixed: false, fetched: 0, reserved: 0, released: 0 }));

  it('re-runs from the failed step, keeping completed outputs and redoing what was compensated', async () => {
    const feed = await tasks.submit(ImportFeedTask, {}, { owner: 'ops' });
    expect((await feed.done()).status).toBe('failed');
    expect(world).toMatchObject({ fetched: 1, reserved: 1, released: 1 });

    const server = app.getHttpServer();
    await request(server).post(`/tasks/${feed.id}/retry`).set(as('mallory')).expect(404);
    world.fixed = true;
    const res = await request(server).post(`/tasks/${feed.id}/retry`).set(as('ops')).expect(202);
    expect(res.body).toMatchObject({ id: feed.id, status: 'pending', error: null });

    const done = await feed.done();
    expect(done.status).toBe('completed');
    // fetch kept its output and did not run again; reserve was compensated, so it ran again.
    expect(world).toMatchObject({ fetched: 1, reserved: 2, released: 1 });
    expect(done.output).toEqual({ published: 42, slot: 2 });
    const events = await app.get(TaskEngine).listEvents(feed.id, 'ops');
    expect(events.find((e) => e.type === 'task.retried')).toMatchObject({ message: 'retried by ops' });

    const again = await request(server).post(`/tasks/${feed.id}/retry`).set(as('ops')).expect(409);
    expect(again.body.message).toMatch(/only a failed task can be retried/);
  });

  it('retries the failed tasks that match, in bulk, with a count', async () => {
    const failed = await Promise.all([0, 1, 2].map(() => tasks.submit(ImportFeedTask, {}, { owner: 'bulk' })));
    await Promise.all(failed.map((t) => t.done()));
    const others = await tasks.submit(ImportFeedTask, {}, { owner: 'someone-else' });
    await others.done();
    world.fixed = true;

    const res = await request(app.getHttpServer()).post('/tasks/retry?type=import-feed').set(as('bulk')).expect(200);
    expect(res.body).toEqual({ retried: 3 });
    for (const t of failed) expect((await t.done()).status).toBe('completed');
    expect((await others.status()).status).toBe('failed');
    const none = await request(app.getHttpServer())
      .post(`/tasks/retry?finishedBefore=${encodeURIComponent('2000-01-01T00:00:00Z')}`)
      .set(as('someone-else'))
      .expect(200);
    expect(none.body).toEqual({ retried: 0 });
    await request(app.getHttpServer()).post('/tasks/retry?finishedAfter=someday').set(as('bulk')).expect(400);
  });

  it('keeps the name "retry" for the bulk route', () => {
    @Task({ name: 'retry' })
    class RetryNamedTask {
      @Step({ order: 1 })
      run() {
        return null;
      }
    }
    expect(() => new TaskRegistry().register(new RetryNamedTask())).toThrow(/task name "retry" is reserved/);
  });
});
