import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { EVENT_BUS, TaskSubmitter } from '../../libs/tasks/src/core';
import { Step, Task, type StepContext } from '../../libs/tasks/src/definition';
import type { TaskEvent } from '../../libs/tasks/src/model';
import type { EventBus } from '../../libs/tasks/src/ports';
import { TaskModule } from '../../libs/tasks/src/task.module';
import { waitFor } from './harness/cluster';
import { PostgresServer } from './harness/postgres-server';
import { RedisServer } from './harness/redis-server';

/** Which app context a task instance lives in: steps report it in their output. */
const APP_NAME = Symbol('app name');

@Module({})
class AppNameModule {
  static named(name: string): DynamicModule {
    return { module: AppNameModule, providers: [{ provide: APP_NAME, useValue: name }], exports: [APP_NAME] };
  }
}

/** An api step, then a worker step: two lanes of the queue `reports`. */
@Task({ name: 'report', queue: 'reports' })
class ReportTask {
  constructor(@Inject(APP_NAME) private readonly app: string) {}

  @Step({ order: 1, on: 'api' })
  accept() {
    return { by: this.app };
  }

  @Step({ order: 2, on: 'worker' })
  render() {
    return { by: this.app };
  }
}

/** Holds its step on worker "a" until the step is aborted; completes at once anywhere else. */
@Task({ name: 'hold', queue: 'reports' })
class HoldTask {
  constructor(@Inject(APP_NAME) private readonly app: string) {}

  @Step({ order: 1 })
  async hold(ctx: StepContext) {
    if (this.app === 'worker-a') {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    }
    return { by: this.app };
  }
}

@Task({ name: 'stray', queue: 'strays' })
class StrayTask {
  @Step({ order: 1 })
  run() {
    return null;
  }
}

/** A host provider that injects one of Stepwise's queues as it would its own. */
@Injectable()
class QueueWatcher {
  constructor(@InjectQueue('reports.worker') readonly queue: Queue) {}
}

/**
 * Stepwise on the host app's own `@nestjs/bullmq`: `BullModule.forRoot()`
 * gives the connection, `TaskModule.forFeature(tasks, { bullmq: true })`
 * registers the lanes as BullModule queues with `WorkerHost` processors, and
 * no `redisUrl` is given: queue, events and workers all run on BullModule's
 * Redis, across an api-role and worker-role app contexts on PostgreSQL.
 */
describe("Stepwise on the app's own BullMQ (TaskModule.forFeature with bullmq)", () => {
  const redis = new RedisServer();
  const postgres = new PostgresServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-host-bullmq-'));
  const apps = new Map<string, INestApplicationContext>();

  function hostModule(name: string, role: 'api' | 'worker', extra: { providers?: Array<typeof StrayTask> } = {}) {
    @Module({
      imports: [
        BullModule.forRoot({ connection: { host: '127.0.0.1', port: redis.port } }),
        TaskModule.forRoot({
          mode: 'distributed',
          role,
          databaseUrl: postgres.url,
          dataDir,
          dashboard: false,
          // Only a wake-up moves a task within a test's time: an expired lease or a sweep takes ten minutes.
          engine: { leaseMs: 600_000, pendingGraceMs: 600_000, shutdownGraceMs: 200, concurrency: 4 },
        }),
        TaskModule.forFeature([ReportTask, HoldTask], { bullmq: true, imports: [AppNameModule.named(name)] }),
      ],
      providers: [QueueWatcher, ...(extra.providers ?? [])],
    })
    class HostModule {}
    return HostModule;
  }

  async function start(name: string, role: 'api' | 'worker'): Promise<INestApplicationContext> {
    const app = await NestFactory.createApplicationContext(hostModule(name, role), { logger: ['error'] });
    apps.set(name, app);
    return app;
  }

  async function close(name: string): Promise<void> {
    await apps.get(name)?.close();
    apps.delete(name);
  }

  const jobsWaiting = async (queue: Queue) => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    return counts.wait + counts.prioritized + counts.delayed + counts.active;
  };

  beforeAll(async () => {
    await Promise.all([redis.start(), postgres.start()]);
  }, 60_000);

  afterAll(async () => {
    for (const name of [...apps.keys()]) await close(name);
    await Promise.all([redis.stop(), postgres.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("shows Stepwise's jobs to the host's @InjectQueue, then runs them on a worker context", async () => {
    const api = await start('api', 'api');
    const watcher = api.get(QueueWatcher);
    expect(watcher.queue.name).toBe('reports.worker');

    const events: TaskEvent[] = [];
    api.get<EventBus>(EVENT_BUS).subscribe((event) => events.push(event));
    const submitter = api.get(TaskSubmitter);
    const handles = await Promise.all([1, 2, 3].map(() => submitter.submit(ReportTask, {})));

    // The api step runs in the api context, then each task waits on the worker lane: no worker yet.
    await waitFor(async () => (await jobsWaiting(watcher.queue)) === 3, {
      what: () => 'three jobs on reports.worker, as the host sees the queue',
    });
    for (const handle of handles) expect((await handle.status()).status).toBe('pending');

    await start('worker-b', 'worker');
    const done = await Promise.all(handles.map((handle) => handle.done()));
    for (const task of done) {
      expect(task.status).toBe('completed');
      expect(task.steps.map((step) => [step.name, step.output])).toEqual([
        ['accept', { by: 'api' }],
        ['render', { by: 'worker-b' }],
      ]);
    }
    expect(await jobsWaiting(watcher.queue)).toBe(0);
    // The worker's events reached the api over BullModule's Redis: no redisUrl was given.
    await waitFor(() => handles.every((h) => events.some((e) => e.taskId === h.id && e.type === 'task.completed')), {
      what: () => "task.completed of every task on the api context's event bus",
    });
    expect(events.filter((e) => e.type === 'task.step' && e.stepStatus === 'running').length).toBe(6);
  }, 60_000);

  it('hands a running task back at shutdown: another worker resumes it without spending an attempt', async () => {
    const api = apps.get('api') ?? (await start('api', 'api'));
    await close('worker-b');
    await start('worker-a', 'worker');
    const handle = await api.get(TaskSubmitter).submit(HoldTask, {});
    await waitFor(async () => (await handle.status()).steps[0]!.status === 'running', {
      what: () => 'the hold step to run on worker a',
    });
    await start('worker-b', 'worker');

    await close('worker-a');
    const task = await handle.done();
    expect(task.status).toBe('completed');
    expect(task.steps[0]).toMatchObject({ output: { by: 'worker-b' }, attempts: 1 });
  }, 60_000);

  it('refuses to boot when a task of the app has no lane registered', async () => {
    const stray = await Test.createTestingModule({
      imports: [hostModule('stray', 'worker', { providers: [StrayTask] })],
    }).compile();
    stray.useLogger(false);
    try {
      await expect(stray.init()).rejects.toThrow(
        'Stepwise: no BullMQ queue strays.worker is registered for task "stray": ' +
          'list its task in TaskModule.forFeature(tasks, { bullmq: true })',
      );
    } finally {
      // Nest's close() first awaits the initialization, which failed: let it through so that
      // the shutdown hooks close the connections the boot opened.
      Object.assign(stray, { initializationPromise: Promise.resolve() });
      await stray.close();
    }
  }, 60_000);
});
