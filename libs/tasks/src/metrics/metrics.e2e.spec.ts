import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Step, Task } from '../definition';
import { TaskSubmitter } from '../core/task-submitter';
import type { TaskModuleExtras } from '../core/task-module.definition';
import { TaskModule } from '../task.module';
import { freePort } from '../../../../test/support/api-process';
import { TaskMetrics } from './task-metrics';

let failures = 0;

@Task({ name: 'flaky' })
class FlakyTask {
  @Step({ order: 1, retry: { attempts: 2, delayMs: 1 } })
  fetch() {
    if (failures++ % 2 === 0) throw new Error('first attempt fails');
    return { ok: true };
  }
}

/** Picks one sample's value out of the Prometheus text. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || l === `${name} ${l.split(' ')[1]}`);
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('Prometheus metrics', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-metrics-'));
  let app: INestApplication | undefined;

  async function start(metrics: TaskModuleExtras['metrics']) {
    @Module({ imports: [TaskModule.forRoot({ dataDir, dashboard: false, metrics })], providers: [FlakyTask] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    return app.init();
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('counts a task from submit to completion, its retry, step and queue-lag durations, and the requests', async () => {
    const server = (await start(true)).getHttpServer();
    const created = await request(server).post('/tasks/flaky').send({}).expect(202);
    await app!.get(TaskSubmitter).handle(created.body.id).done();
    await request(server).get(`/tasks/${created.body.id}`).expect(200);

    const res = await request(server).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(sample(text, 'stepwise_tasks_total', 'type="flaky",outcome="submitted"')).toBe(1);
    expect(sample(text, 'stepwise_tasks_total', 'type="flaky",outcome="completed"')).toBe(1);
    expect(sample(text, 'stepwise_step_retries_total', 'type="flaky",step="fetch"')).toBe(1);
    expect(sample(text, 'stepwise_step_duration_seconds_count', 'type="flaky",step="fetch",status="completed"')).toBe(
      1,
    );
    expect(sample(text, 'stepwise_task_duration_seconds_count', 'type="flaky",outcome="completed"')).toBe(1);
    expect(sample(text, 'stepwise_queue_lag_seconds_count', 'type="flaky"')).toBe(1);
    // By route pattern, never by id.
    expect(sample(text, 'stepwise_http_requests_total', 'method="POST",route="/tasks/:type",status="202"')).toBe(1);
    expect(sample(text, 'stepwise_http_requests_total', 'method="GET",route="/tasks/:id",status="200"')).toBe(1);
    expect(text).not.toContain(created.body.id);
    expect(text).toContain('stepwise_process_cpu_seconds_total');
  });

  it('counts what the engine observes: leases recovered, webhook attempts', async () => {
    await start(true);
    const metrics = app!.get(TaskMetrics);
    metrics.leasesRecovered(2);
    metrics.webhookAttempt('retrying', 'task.completed');
    const text = await metrics.registry.metrics();
    expect(sample(text, 'stepwise_leases_recovered_total', '')).toBe(2);
    expect(sample(text, 'stepwise_webhook_attempts_total', 'outcome="retrying",event="task.completed"')).toBe(1);
  });

  it('serves a listener of its own when given a port, and no route then', async () => {
    const port = await freePort();
    const server = (await start({ port, host: '127.0.0.1' })).getHttpServer();
    await request(server).get('/metrics').expect(404);
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('stepwise_tasks_total');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    await app!.close();
    app = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('is off unless asked', async () => {
    await request((await start(false)).getHttpServer())
      .get('/metrics')
      .expect(404);
  });
});
