import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TaskSubmitter } from '../core/task-submitter';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { NonRetryableError, Step, Task, type StepContext } from '../index';
import { TaskModule } from '../task.module';

@Task({ name: 'note' })
class NoteTask {
  @Step({ order: 1 })
  async write(ctx: StepContext<{ fail?: boolean; waitMs?: number }>) {
    if (ctx.input.fail) throw new NonRetryableError('asked to fail');
    if (ctx.input.waitMs) await sleep(ctx.input.waitMs, undefined, { signal: ctx.signal });
    await ctx.storage.put(`${ctx.storagePrefix}note.txt`, Readable.from(['hello']));
    return { written: true };
  }
}

describe('GET /tasks/stats and DELETE /tasks (bulk cleanup)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-maintenance-'));
  let app: INestApplication;
  let tasks: TaskSubmitter;
  const as = (owner: string) => ({ 'x-owner-id': owner });

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ownerResolver: new HeaderOwnerResolver() })],
      providers: [NoteTask],
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

  it('counts the caller’s tasks by status and type, with the oldest pending wait', async () => {
    const done = await tasks.submit(NoteTask, {}, { owner: 'stats-a' });
    const failed = await tasks.submit(NoteTask, { fail: true }, { owner: 'stats-a' });
    await Promise.all([done.done(), failed.done()]);
    await tasks.submit(NoteTask, {}, { owner: 'stats-b' });

    const res = await request(app.getHttpServer()).get('/tasks/stats').set(as('stats-a')).expect(200);
    expect(res.body).toEqual({
      total: 2,
      byStatus: { completed: 1, failed: 1 },
      byType: { note: { completed: 1, failed: 1 } },
      oldestPendingAgeMs: null,
    });
    await request(app.getHttpServer()).get('/tasks/stats').expect(401);
  });

  it('deletes finished tasks with their files, never a running one, and answers the count', async () => {
    const owner = 'cleanup';
    const finished = await Promise.all([0, 1, 2].map(() => tasks.submit(NoteTask, {}, { owner })));
    const failed = await tasks.submit(NoteTask, { fail: true }, { owner });
    await Promise.all([...finished, failed].map((t) => t.done()));
    const running = await tasks.submit(NoteTask, { waitMs: 30_000 }, { owner });
    await request(app.getHttpServer()).get('/tasks?limit=1').set(as('other')).expect(200);
    const other = await tasks.submit(NoteTask, {}, { owner: 'someone-else' });
    await other.done();
    const fileOf = (id: string) => join(dataDir, 'objects', 'tasks', id, 'note.txt');
    expect(existsSync(fileOf(finished[0].id))).toBe(true);

    const server = app.getHttpServer();
    const onlyFailed = await request(server).delete('/tasks?status=failed').set(as(owner)).expect(200);
    expect(onlyFailed.body).toEqual({ deleted: 1 });
    await expect(failed.status()).rejects.toMatchObject({ kind: 'not_found' });

    const rest = await request(server).delete('/tasks').set(as(owner)).expect(200);
    expect(rest.body).toEqual({ deleted: 3 });
    for (const t of finished) expect(existsSync(fileOf(t.id))).toBe(false);
    expect((await running.status()).status).toBe('running');
    expect((await other.status()).status).toBe('completed');
    await running.cancel();
    await running.done();
  });

  it.each([
    ['status=running', 'status'],
    ['status=completed,pending', 'status'],
    ['finishedBefore=yesterday', 'finishedBefore'],
    ['type=../x', 'type'],
    ['status=completed&status=failed', 'status'],
  ])('refuses %s with a 400 naming the field', async (query, field) => {
    const res = await request(app.getHttpServer()).delete(`/tasks?${query}`).set(as('cleanup')).expect(400);
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('applies finishedBefore', async () => {
    const owner = 'cleanup-time';
    const old = await tasks.submit(NoteTask, {}, { owner });
    await old.done();
    const cutoff = new Date(Date.now() + 1).toISOString();
    await sleep(5);
    const recent = await tasks.submit(NoteTask, {}, { owner });
    await recent.done();
    const res = await request(app.getHttpServer())
      .delete(`/tasks?finishedBefore=${encodeURIComponent(cutoff)}`)
      .set(as(owner))
      .expect(200);
    expect(res.body).toEqual({ deleted: 1 });
    expect((await recent.status()).status).toBe('completed');
  });
});
