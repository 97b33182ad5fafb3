import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MemoryTaskStore } from '../adapters/memory';
import { TaskModule } from '../task.module';

/** A store whose database can be switched off, as PostgreSQL going down. */
class SwitchableStore extends MemoryTaskStore {
  down = false;
  override async ping(): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
  }
}

describe('GET /health and /health/live', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-health-'));
  const store = new SwitchableStore();
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TaskModule.forRoot({ dataDir, store, health: true })],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports database, queue and storage up', async () => {
    store.down = false;
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    for (const key of ['database', 'queue', 'storage']) expect(res.body.info[key].status).toBe('up');
  });

  it('answers 503 naming the failing dependency, and recovers with it', async () => {
    store.down = true;
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.database).toEqual({ status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(res.body.info.storage.status).toBe('up');
    // Liveness does not depend on the database: restarting would not help.
    await request(app.getHttpServer()).get('/health/live').expect(200);
    store.down = false;
    await request(app.getHttpServer()).get('/health').expect(200);
  });
});
