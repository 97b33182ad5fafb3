import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HeaderOwnerResolver } from '../core/owner-resolver';
import { Step, Task } from '../definition';
import { NonRetryableError } from '../engine/step-errors';
import { TaskModule } from '../task.module';

@Task({ name: 'noop' })
class NoopTask {
  @Step({ order: 1 })
  run() {
    return { ok: true };
  }
}

@Task({ name: 'fails' })
class FailingTask {
  @Step({ order: 1 })
  run() {
    throw new NonRetryableError('always');
  }
}

/**
 * The owners' quotas of stored bytes and uploads in progress, counted in the
 * database at each submit and tus creation (embedded: SQLite; the same
 * statements serve PostgreSQL, held by the store contracts).
 */
describe('quotas of stored bytes and open uploads', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-quotas-'));
  let app: INestApplication;
  const as = (owner: string) => ({ 'x-owner-id': owner });
  const tus = (owner: string) => ({ 'Tus-Resumable': '1.0.0', ...as(owner) });

  beforeAll(async () => {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          dashboard: false,
          ownerResolver: new HeaderOwnerResolver(),
          uploads: { resumable: true },
          quotas: { storedBytes: 10, openUploads: 2 },
        }),
      ],
      providers: [NoopTask, FailingTask],
    })
    class QuotaModule {}
    const moduleRef = await Test.createTestingModule({ imports: [QuotaModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = (owner: string) =>
    request(app.getHttpServer())
      .post('/uploads/')
      .set({ ...tus(owner), 'Upload-Length': '4' });
  /** A creation that carries the whole file: finished at once. */
  const uploadWhole = (owner: string, bytes: string) =>
    request(app.getHttpServer())
      .post('/uploads/')
      .set({ ...tus(owner), 'Upload-Length': String(bytes.length), 'Content-Type': 'application/offset+octet-stream' })
      .send(Buffer.from(bytes));

  it('refuses a tus creation past the owner’s uploads in progress (403 naming openUploads); finishing or deleting one frees it', async () => {
    const server = app.getHttpServer();
    const first = await open('alice').expect(201);
    await open('alice').expect(201);
    const refused = await open('alice').expect(403);
    expect(JSON.parse(refused.text)).toMatchObject({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringContaining('openUploads'),
      details: { quota: 'openUploads', limit: 2, used: 2 },
    });
    await open('bob').expect(201);

    // Deleted: no longer in progress.
    await request(server).delete(first.headers.location).set(tus('alice')).expect(204);
    const third = await open('alice').expect(201);
    await open('alice').expect(403);
    // Finished: no longer in progress either.
    await request(server)
      .patch(third.headers.location)
      .set({ ...tus('alice'), 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' })
      .send(Buffer.from('abcd'))
      .expect(204);
    await open('alice').expect(201);
  });

  it('refuses submits and tus creations once the owner stores storedBytes (403 naming the quota)', async () => {
    const server = app.getHttpServer();
    await uploadWhole('carol', '123456').expect(201);
    await request(server).post('/tasks/noop').set(as('carol')).send({}).expect(202);
    await uploadWhole('carol', '7890').expect(201); // 10 bytes stored now
    const submit = await request(server).post('/tasks/noop').set(as('carol')).send({}).expect(403);
    expect(submit.body).toMatchObject({
      statusCode: 403,
      message: expect.stringContaining('storedBytes'),
      details: { quota: 'storedBytes', limit: 10, used: 10 },
    });
    const creation = await open('carol').expect(403);
    expect(JSON.parse(creation.text)).toMatchObject({ details: { quota: 'storedBytes', used: 10 } });
    // Another owner is unaffected.
    await request(server).post('/tasks/noop').set(as('dave')).send({}).expect(202);
  });

  it('refuses the retries of an owner who stores storedBytes: the retried task would store its result', async () => {
    const server = app.getHttpServer();
    const failed = await request(server).post('/tasks/fails').set(as('erin')).send({}).expect(202);
    for (let i = 0; i < 50; i++) {
      const task = await request(server).get(`/tasks/${failed.body.id}`).set(as('erin'));
      if (task.body.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await uploadWhole('erin', '0123456789').expect(201); // 10 bytes stored now
    const one = await request(server).post(`/tasks/${failed.body.id}/retry`).set(as('erin')).expect(403);
    expect(one.body).toMatchObject({ details: { quota: 'storedBytes', limit: 10, used: 10 } });
    const bulk = await request(server).post('/tasks/retry').set(as('erin')).expect(403);
    expect(bulk.body).toMatchObject({ details: { quota: 'storedBytes', limit: 10, used: 10 } });
    const task = await request(server).get(`/tasks/${failed.body.id}`).set(as('erin')).expect(200);
    expect(task.body.status).toBe('failed');
  });
});
