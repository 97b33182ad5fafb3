import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { z } from 'zod';
import { ManualClock } from '../adapters/memory';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { Step, Task } from '../definition';
import { TaskModule } from '../task.module';

@Task({
  name: 'report',
  input: z.object({ month: z.string() }),
  schedules: [{ name: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Paris', input: { month: 'last' }, owner: 'ops' }],
})
class ReportTask {
  @Step({ order: 1 })
  run() {
    return 'done';
  }
}

@Task({ name: 'internal', http: false })
class InternalTask {
  @Step({ order: 1 })
  run() {
    return 'done';
  }
}

describe('REST /schedules', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-schedules-rest-'));
  const clock = new ManualClock(Date.parse('2026-06-01T10:00:30Z'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });
  const http = () => request(app.getHttpServer());
  const valid = { name: 'acme', type: 'report', cron: '* * * * *', input: { month: '2026-05' } };

  beforeAll(async () => {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          clock,
          dashboard: false,
          ownerResolver: new HeaderOwnerResolver(),
          engine: { sweepIntervalMs: 3_600_000, reconcileIntervalMs: 0, scheduleIntervalMs: 3_600_000 },
        }),
      ],
      providers: [ReportTask, InternalTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds a schedule (201, Location), lists the caller’s with their next run, and runs it as the caller', async () => {
    const created = await http().post('/schedules').set(as('alice')).send(valid).expect(201);
    expect(created.headers.location).toBe('/schedules/acme');
    expect(created.body).toEqual({
      name: 'acme',
      type: 'report',
      cron: '* * * * *',
      timezone: 'UTC',
      input: { month: '2026-05' },
      missed: 'latest',
      paused: false,
      declared: false,
      lastSlotAt: null,
      nextRunAt: '2026-06-01T10:01:00.000Z',
      createdAt: '2026-06-01T10:00:30.000Z',
      updatedAt: '2026-06-01T10:00:30.000Z',
      links: { self: '/schedules/acme' },
    });

    const listed = await http().get('/schedules').set(as('alice')).expect(200);
    expect(listed.body.items.map((s: { name: string }) => s.name)).toEqual(['acme']);
    // The declared one is its owner's: ops sees it, with its next run in Paris time.
    const ops = await http().get('/schedules').set(as('ops')).expect(200);
    expect(ops.body.items).toMatchObject([
      { name: 'report:nightly', declared: true, timezone: 'Europe/Paris', nextRunAt: '2026-06-02T01:00:00.000Z' },
    ]);
    await http().get('/schedules').expect(401);

    await clock.advance(30_000); // 10:01
    const tasks = await http().get('/tasks?type=report').set(as('alice')).expect(200);
    expect(tasks.body.items).toHaveLength(1);
    expect(tasks.body.items[0]).toMatchObject({ type: 'report', status: expect.any(String) });
    const read = await http().get('/schedules/acme').set(as('alice')).expect(200);
    expect(read.body).toMatchObject({ lastSlotAt: '2026-06-01T10:01:00.000Z', nextRunAt: '2026-06-01T10:02:00.000Z' });
  });

  it.each([
    ['a cron of 4 fields', { cron: '0 3 * *' }, 'cron'],
    ['a cron out of range', { cron: '61 * * * *' }, 'cron'],
    ['a cron that is not a string', { cron: 5 }, 'cron'],
    ['an unknown time zone', { timezone: 'Mars/Olympus' }, 'timezone'],
    ['an unknown task type', { type: 'nope' }, 'type'],
    ['a type submitted only from code', { type: 'internal' }, 'type'],
    ['an unknown policy', { missed: 'all' }, 'missed'],
    ['a name with a colon', { name: 'a:b' }, 'name'],
    ['an input the task refuses', { input: { month: 5 } }, 'input.month'],
    ['an unknown field', { owner: 'mallory' }, 'owner'],
    ['no cron', { cron: undefined }, 'cron'],
  ])('refuses %s with a 400 naming the field', async (_what, change, field) => {
    const res = await http()
      .post('/schedules')
      .set(as('alice'))
      .send({ ...valid, name: 'bad', ...change })
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('refuses a body that is no JSON object, malformed JSON, and a name in use, never with a 5xx', async () => {
    const array = await http().post('/schedules').set(as('alice')).send([valid]).expect(400);
    expect(array.body.message).toMatch(/JSON object/);
    const malformed = await http()
      .post('/schedules')
      .set({ ...as('alice'), 'content-type': 'application/json' })
      .send('{"name": ')
      .expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    await http()
      .post('/schedules')
      .set(as('alice'))
      .send({ ...valid, name: 'twice' })
      .expect(201);
    // Taken, whoever asks.
    const taken = await http()
      .post('/schedules')
      .set(as('bob'))
      .send({ ...valid, name: 'twice' })
      .expect(409);
    expect(taken.body.message).toMatch(/"twice" exists/);
  });

  it('pauses, resumes and removes the caller’s schedules; another owner’s is a 404; a declared one cannot be removed', async () => {
    await http()
      .post('/schedules')
      .set(as('carol'))
      .send({ ...valid, name: 'carol-1' })
      .expect(201);
    const paused = await http().post('/schedules/carol-1/pause').set(as('carol')).expect(200);
    expect(paused.body).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await http().post('/schedules/carol-1/resume').set(as('carol')).expect(200);
    expect(resumed.body).toMatchObject({ paused: false, nextRunAt: expect.any(String) });

    for (const [method, path] of [
      ['get', '/schedules/carol-1'],
      ['post', '/schedules/carol-1/pause'],
      ['post', '/schedules/carol-1/resume'],
      ['delete', '/schedules/carol-1'],
    ] as const) {
      const res = await http()[method](path).set(as('mallory')).expect(404);
      expect(res.body.message).toMatch(/Schedule "carol-1" not found/);
    }
    await http().delete('/schedules/carol-1').set(as('carol')).expect(204);
    await http().delete('/schedules/carol-1').set(as('carol')).expect(404);
    await http().get('/schedules/nope').set(as('carol')).expect(404);

    const declared = await http().delete('/schedules/report:nightly').set(as('ops')).expect(409);
    expect(declared.body.message).toMatch(/declared by @Task/);
    await http().post('/schedules/report:nightly/pause').set(as('ops')).expect(200);
  });
});
