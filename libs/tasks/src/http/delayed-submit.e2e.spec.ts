import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TaskSubmitter } from '../core/task-submitter';
import { Step, Task } from '../definition';
import { TaskModule } from '../task.module';

const ran: string[] = [];

@Task({ name: 'reminder' })
class ReminderTask {
  @Step({ order: 1 })
  send(ctx: { taskId: string }) {
    ran.push(ctx.taskId);
    return { sent: true };
  }
}

describe('delayed submit (runAt, delayMs)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-delayed-'));
  let app: INestApplication;

  beforeAll(async () => {
    @Module({ imports: [TaskModule.forRoot({ dataDir, dashboard: false })], providers: [ReminderTask] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the task pending with its due time, then runs it', async () => {
    const server = app.getHttpServer();
    const before = Date.now();
    const created = await request(server).post('/tasks/reminder?delayMs=400').send({}).expect(202);
    expect(created.body.status).toBe('pending');
    const due = Date.parse(created.body.runAt);
    expect(due).toBeGreaterThanOrEqual(before + 400);
    const view = await request(server).get(`/tasks/${created.body.id}`).expect(200);
    expect(view.body).toMatchObject({ status: 'pending', runAt: created.body.runAt, startedAt: null });
    expect(ran).not.toContain(created.body.id);

    const finished = await app.get(TaskSubmitter).handle(created.body.id).done();
    expect(finished.status).toBe('completed');
    expect(finished.startedAt!).toBeGreaterThanOrEqual(due);
    expect(ran).toContain(created.body.id);
  });

  it('cancels a task before it starts: its step never runs', async () => {
    const server = app.getHttpServer();
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const created = await request(server)
      .post(`/tasks/reminder?runAt=${encodeURIComponent(runAt)}`)
      .send({})
      .expect(202);
    expect(Date.parse(created.body.runAt)).toBe(Date.parse(runAt));
    await request(server).post(`/tasks/${created.body.id}/cancel`).expect(202);
    const finished = await app.get(TaskSubmitter).handle(created.body.id).done();
    expect(finished.status).toBe('cancelled');
    expect(ran).not.toContain(created.body.id);
  });

  it('runs at once when runAt has passed, and from code with a Date', async () => {
    const past = await request(app.getHttpServer())
      .post(`/tasks/reminder?runAt=${encodeURIComponent('2020-01-01T00:00:00Z')}`)
      .send({})
      .expect(202);
    expect(past.body.runAt).toBeUndefined();
    const handle = await app.get(TaskSubmitter).submit(ReminderTask, {}, { runAt: new Date(Date.now() + 200) });
    expect((await handle.status()).status).toBe('pending');
    expect((await handle.done()).status).toBe('completed');
  });

  it.each([
    ['delayMs=-5', 'delayMs'],
    ['delayMs=soon', 'delayMs'],
    ['runAt=tomorrow', 'runAt'],
    ['runAt=2026-13-45T00:00:00Z', 'runAt'],
    [`runAt=${encodeURIComponent(new Date().toISOString())}&delayMs=5`, 'runAt'],
  ])('refuses %s with a 400 naming the field', async (query, field) => {
    const res = await request(app.getHttpServer()).post(`/tasks/reminder?${query}`).send({}).expect(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field })]);
  });

  it('refuses a task scheduled more than a year ahead', async () => {
    const res = await request(app.getHttpServer())
      .post(`/tasks/reminder?delayMs=${400 * 86_400_000}`)
      .send({})
      .expect(400);
    expect(res.body.message).toMatch(/at most a year ahead/);
  });
});
