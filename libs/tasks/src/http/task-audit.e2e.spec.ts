import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { TaskAuditView } from '@stepwise/contract';
import { TaskSubmitter } from '../core/task-submitter';
import type { OwnerRequest, OwnerResolver } from '../core/owner-resolver';
import { NonRetryableError } from '../engine';
import { Step, Task, type StepContext } from '../definition';
import { TaskModule } from '../task.module';

const world = { broken: false };

/** Writes a small report file: something to download. */
@Task({ name: 'report' })
class ReportTask {
  @Step({ order: 1 })
  async write(ctx: StepContext) {
    if (world.broken) throw new NonRetryableError('printer on fire');
    const key = `${ctx.storagePrefix}report.txt`;
    await ctx.storage.put(key, Readable.from([Buffer.from('quarterly numbers')]));
    ctx.setResultFile({ key, name: 'report.txt', size: 17, contentType: 'text/plain' });
    return { ok: true };
  }
}

/** `x-owner-id` is the owner; `ops` is an administrator. */
class TestResolver implements OwnerResolver {
  resolve(req: OwnerRequest) {
    const owner = String(req.headers['x-owner-id'] ?? '');
    return { owner, roles: owner === 'ops' ? ['admin'] : [] };
  }
}

describe('audit trail: GET /tasks/{id}/audit', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-audit-'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });
  const server = () => app.getHttpServer();
  const audit = async (id: string, owner = 'alice') =>
    ((await request(server()).get(`/tasks/${id}/audit`).set(as(owner)).expect(200)).body as TaskAuditView).items;
  /** Polls the task's status until it is `status` (the run goes on in the background). */
  const until = async (id: string, status: string) => {
    for (;;) {
      const res = await request(server()).get(`/tasks/${id}`).set(as('ops'));
      if (res.body.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false, ownerResolver: new TestResolver() })],
      providers: [ReportTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => Object.assign(world, { broken: false }));

  it('records who submitted, paused, resumed and downloaded, with the engine own events unattributed', async () => {
    const submitted = await request(server()).post('/tasks/report?delayMs=600000').set(as('alice')).send({});
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    expect(submitted.body.links.audit).toBe(`/tasks/${id}/audit`);
    await request(server()).post(`/tasks/${id}/pause`).set(as('alice')).expect(202);
    // An administrator resumes it: the log says so, not the owner.
    await request(server()).post(`/tasks/${id}/resume`).set(as('ops')).expect(202);
    await until(id, 'completed');
    const file = await request(server()).get(`/tasks/${id}/download`).set(as('alice')).expect(200);
    expect(file.text).toBe('quarterly numbers');
    await request(server()).get(`/tasks/${id}/download`).set(as('alice')).set('Range', 'bytes=0-8').expect(206);

    // The download's event is appended after the answer: wait for it, as a client would.
    let items = await audit(id);
    while (items.filter((e) => e.event === 'task.downloaded').length < 2) items = await audit(id);
    const attributed = items.filter((e) => e.actor !== undefined).map((e) => [e.event, e.actor, e.message]);
    expect(attributed).toEqual([
      ['task.created', 'alice', undefined],
      ['task.paused', 'alice', undefined],
      ['task.resumed', 'ops', undefined],
      ['task.downloaded', 'alice', 'downloaded by alice'],
      ['task.downloaded', 'alice', 'downloaded by alice (bytes 0-8)'],
    ]);
    // What the engine does on its own has no actor.
    expect(items.find((e) => e.event === 'task.completed')).not.toHaveProperty('actor');
    expect(items.map((e) => e.seq)).toEqual([...items.map((e) => e.seq)].sort((a, b) => a - b));
    expect(items[0]).toMatchObject({ status: 'pending', progress: 0, at: expect.stringMatching(/Z$/) });
    expect(JSON.stringify(items)).not.toContain('"owner"');

    // Pages: `nextAfter` of a full page, null at the end.
    const first = await request(server()).get(`/tasks/${id}/audit?limit=2`).set(as('alice')).expect(200);
    expect(first.body.items).toEqual(items.slice(0, 2));
    expect(first.body.nextAfter).toBe(items[1].seq);
    const rest = await request(server()).get(`/tasks/${id}/audit?after=${items[1].seq}&limit=500`).set(as('alice'));
    expect(rest.body).toEqual({ items: items.slice(2), nextAfter: null });
  });

  it('records who cancelled and who retried; code submits as system', async () => {
    const cancelled = await request(server()).post('/tasks/report?delayMs=600000').set(as('bob')).send({});
    await request(server()).post(`/tasks/${cancelled.body.id}/cancel`).set(as('ops')).expect(202);
    await until(cancelled.body.id, 'cancelled');
    const cancelLog = await audit(cancelled.body.id, 'bob');
    expect(cancelLog.find((e) => e.event === 'task.cancel_requested')).toMatchObject({ actor: 'ops' });

    world.broken = true;
    const handle = await app.get(TaskSubmitter).submit(ReportTask, {}, { owner: 'bob' });
    await until(handle.id, 'failed');
    world.broken = false;
    await request(server()).post(`/tasks/${handle.id}/retry`).set(as('bob')).expect(202);
    await until(handle.id, 'completed');
    const retryLog = await audit(handle.id, 'bob');
    expect(retryLog.filter((e) => e.actor).map((e) => [e.event, e.actor])).toEqual([
      ['task.created', 'system'],
      ['task.retried', 'bob'],
    ]);
  });

  it("is another owner's 404 and a bad query's 400", async () => {
    const task = await request(server()).post('/tasks/report?delayMs=600000').set(as('carol')).send({});
    await request(server()).get(`/tasks/${task.body.id}/audit`).set(as('mallory')).expect(404);
    expect((await audit(task.body.id, 'ops')).map((e) => e.actor)).toEqual(['carol']);
    for (const query of ['limit=0', 'limit=501', 'limit=x', 'after=-1', 'after=1.5', 'after=1&after=2']) {
      const res = await request(server()).get(`/tasks/${task.body.id}/audit?${query}`).set(as('carol'));
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.message).toMatch(/^Invalid query/);
    }
  });
});
