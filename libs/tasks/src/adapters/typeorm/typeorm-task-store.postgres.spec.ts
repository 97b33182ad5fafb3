import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { describeTaskStoreContract } from '../store-contract.spec-helper';
import { createStepwiseDataSource } from './data-source';
import { TypeOrmTaskStore } from './typeorm-task-store';

/**
 * The contract on PostgreSQL, when `STEPWISE_TEST_POSTGRES_URL` names a server
 * (any database on it: the suite creates and drops its own).
 */
const adminUrl = process.env.STEPWISE_TEST_POSTGRES_URL;

if (!adminUrl) {
  describe.skip('TypeOrmTaskStore on PostgreSQL (set STEPWISE_TEST_POSTGRES_URL)', () =>
    it('skipped', () => undefined));
} else {
  const database = `stepwise_test_${randomBytes(6).toString('hex')}`;
  let dataSource: DataSource | undefined;
  const admin = async (sql: string) => {
    const server = await new DataSource({ type: 'postgres', url: adminUrl }).initialize();
    await server.query(sql).finally(() => server.destroy());
  };

  afterAll(async () => {
    await dataSource?.destroy();
    await admin(`DROP DATABASE IF EXISTS ${database}`);
  });

  describeTaskStoreContract('TypeOrmTaskStore on PostgreSQL', async () => {
    if (!dataSource) {
      await admin(`CREATE DATABASE ${database}`);
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      dataSource = await createStepwiseDataSource({ url: url.toString() }).initialize();
    }
    await dataSource.query('TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks');
    return { store: new TypeOrmTaskStore(dataSource), close: async () => undefined };
  });
}
