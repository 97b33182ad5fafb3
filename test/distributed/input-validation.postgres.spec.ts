import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { STEPWISE_DATA_SOURCE } from '../../libs/tasks/src/core/tokens';
import { Step, Task } from '../../libs/tasks/src/definition';
import { HeaderOwnerResolver } from '../../libs/tasks/src/core';
import { TaskModule } from '../../libs/tasks/src/task.module';
import { PostgresServer } from './harness/postgres-server';

@Task({ name: 'note', input: z.object({ text: z.string() }) })
class NoteTask {
  @Step({ order: 1 })
  run() {
    return null;
  }
}

/** Base64 (standard or URL-safe) of a JSON value: a cursor as someone forging one would write it. */
const forged = (value: unknown, encoding: BufferEncoding = 'base64url') =>
  encodeURIComponent(Buffer.from(JSON.stringify(value)).toString(encoding));

/**
 * Bad input against PostgreSQL, which refuses what SQLite lets pass (a
 * fraction in a bigint column): list cursors and idempotency keys through
 * the HTTP API of a module on a real database. Never a 5xx.
 */
describe('input validation on PostgreSQL (HTTP)', () => {
  const postgres = new PostgresServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-pg-input-'));
  const statuses: number[] = [];
  let app: INestApplication;
  const api = () => request.agent(app.getHttpServer()).set('x-owner-id', 'alice');

  beforeAll(async () => {
    await postgres.start();
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          databaseUrl: postgres.url,
          ownerResolver: new HeaderOwnerResolver(),
          dashboard: false,
        }),
      ],
      providers: [NoteTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.use((_req: unknown, res: { statusCode: number; on(e: 'finish', f: () => void): void }, next: () => void) => {
      res.on('finish', () => statuses.push(res.statusCode));
      next();
    });
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  }, 60_000);

  it('answers 400 to list cursors that decode but hold no position, and pages with its own', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await api()
            .post('/tasks/note')
            .send({ text: `n${i}` })
        ).status,
      ).toBe(202);
    const id = '11111111-1111-4111-8111-111111111111';
    for (const cursor of [
      forged({ c: 1.5, i: 'x' }, 'base64'),
      forged({ c: 1.5, i: id }),
      forged({ c: 1e300, i: id }),
      forged({ c: -1, i: id }),
      forged({ c: 1_700_000_000_000, i: "x' OR '1'='1" }),
    ]) {
      const res = await api().get(`/tasks?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', details: [{ field: 'cursor' }] });
    }
    const first = await api().get('/tasks?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await api().get(`/tasks?limit=2&cursor=${encodeURIComponent(first.body.nextCursor as string)}`);
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
  });

  it('keeps the request fingerprint with the key: the same body replays, another is a 422', async () => {
    const first = await api().post('/tasks/note').set('Idempotency-Key', 'pg-key').send({ text: 'once' });
    expect(first.status).toBe(202);
    const replay = await api().post('/tasks/note').set('Idempotency-Key', 'pg-key').send({ text: 'once' });
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    const reused = await api().post('/tasks/note').set('Idempotency-Key', 'pg-key').send({ text: 'twice' });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity' });

    const dataSource = app.get<DataSource>(STEPWISE_DATA_SOURCE);
    const rows = (await dataSource.query('SELECT request_fingerprint FROM stepwise_tasks WHERE idempotency_key = $1', [
      'pg-key',
    ])) as Array<{ request_fingerprint: string }>;
    expect(rows).toEqual([{ request_fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });
});
