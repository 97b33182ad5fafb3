import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { DataSource, EntitySchema } from 'typeorm';
import { Step, Task } from '../../definition';
import { TaskModule } from '../../task.module';
import { STEPWISE_ENTITIES, STEPWISE_MIGRATIONS } from '../../typeorm';

/** The host app's own table, in the same database. */
const InvoiceEntity = new EntitySchema<{ id: number; total: number }>({
  name: 'Invoice',
  tableName: 'invoices',
  columns: { id: { type: Number, primary: true, generated: true }, total: { type: Number } },
});

@Task({ name: 'tally' })
class TallyTask {
  @Step({ order: 1 })
  run() {
    return { tallied: true };
  }
}

/** Stepwise on the DataSource `@nestjs/typeorm` registers, migrated by the host. */
describe('TaskModule on the host app’s TypeORM DataSource', () => {
  let dir: string;
  let app: INestApplication | undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'stepwise-host-ds-'))));
  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(withStepwise: boolean, migrate = withStepwise): Promise<INestApplication> {
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: join(dir, 'app.sqlite'),
          entities: [InvoiceEntity, ...(withStepwise ? STEPWISE_ENTITIES : [])],
          migrations: migrate ? STEPWISE_MIGRATIONS : [],
          migrationsRun: true,
          synchronize: false,
        }),
        TaskModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({ dataSource, dataDir: dir, dashboard: false }),
        }),
      ],
      providers: [TallyTask],
    })
    class HostModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    return app.init();
  }

  it('keeps its tasks in the host database, and leaves the DataSource open for the host to close', async () => {
    const host = await start(true);
    const dataSource = host.get(DataSource);
    const created = await request(host.getHttpServer()).post('/tasks/tally').send({}).expect(202);
    let status = '';
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      status = (await request(host.getHttpServer()).get(`/tasks/${created.body.id}`)).body.status;
      if (status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('completed');
    const [row] = await dataSource.query('SELECT status FROM stepwise_tasks WHERE id = ?', [created.body.id]);
    expect(row).toEqual({ status: 'completed' });
    const ran = (await dataSource.query('SELECT name FROM migrations ORDER BY id')) as Array<{ name: string }>;
    expect(ran.map((m) => m.name)).toEqual(STEPWISE_MIGRATIONS.map((m) => m.name));

    await host.close();
    app = undefined;
    // Closed once, by @nestjs/typeorm, after Stepwise stopped using it.
    expect(dataSource.isInitialized).toBe(false);
  });

  it('refuses to boot on a DataSource without Stepwise’s entities, saying what to add', async () => {
    await expect(start(false)).rejects.toThrow(/lacks Stepwise's entities .*add STEPWISE_ENTITIES/);
  });

  it('refuses to boot when the host has not run Stepwise’s migrations', async () => {
    await expect(start(true, false)).rejects.toThrow(/no Stepwise tables: add STEPWISE_MIGRATIONS to its migrations/);
  });
});
