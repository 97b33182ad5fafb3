import { describeTaskStoreContract, newTask } from '../../libs/tasks/src/adapters/testing/store-contract';
import { describeStoreOutboxContract } from '../../libs/tasks/src/adapters/testing/store-outbox-contract';
import {
  initializeStepwiseDataSource,
  TypeOrmTaskStore,
  TypeOrmWebhookOutbox,
} from '../../libs/tasks/src/adapters/typeorm';
import { newDelivery } from '../../libs/tasks/src/adapters/testing/webhook-outbox-contract';
import type { DataSource } from 'typeorm';
import { PostgresServer } from './harness/postgres-server';

/** The store contract on a real PostgreSQL started by the harness. */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

/** An empty database, the server started on first use. */
async function empty(): Promise<DataSource> {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query(
    'TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks, stepwise_webhook_deliveries',
  );
  return dataSource;
}

describeTaskStoreContract('TypeOrmTaskStore on PostgreSQL', async () => {
  const db = await empty();
  return { store: new TypeOrmTaskStore(db, { clock: 'caller' }), close: async () => undefined };
});

describeStoreOutboxContract('TypeOrmTaskStore on PostgreSQL', async () => {
  const db = await empty();
  return {
    store: new TypeOrmTaskStore(db, { clock: 'caller' }),
    outbox: new TypeOrmWebhookOutbox(db),
    close: async () => undefined,
  };
});

describe('TypeOrmTaskStore on PostgreSQL: delete racing a write', () => {
  /** Resolves once `count` statements of other sessions wait on a lock. */
  async function waiters(db: DataSource, count: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const [row] = (await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      )) as Array<{ n: number }>;
      if (row.n >= count) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`never saw ${count} statements waiting on a lock`);
  }

  it('a write committed while the delete waits has its deliveries removed with the task', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const outbox = new TypeOrmWebhookOutbox(db);
    const { task } = await store.create(newTask());
    const held = (await store.claim({ taskId: task.id, workerId: 'w1', leaseMs: 30_000, now: task.runAt }))!.task;

    // Another session holds the task row, so the write and then the delete queue behind it, in that order.
    const blocker = db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT id FROM stepwise_tasks WHERE id = $1 FOR UPDATE', [task.id]);
    const step = newDelivery({ taskId: task.id, event: 'task.step' });
    const stepEvent = { taskId: task.id, owner: 'alice', type: 'task.step' as const, taskType: 'create-zip' };
    const write = store.save(held, 'w1', {
      events: [{ ...stepEvent, status: 'running', progress: 0.5, at: task.runAt }],
      deliveries: [step],
    });
    await waiters(db, 1);
    const removal = store.delete(task.id);
    await waiters(db, 2);
    await blocker.commitTransaction();
    await blocker.release();

    expect(await write).toBe(true);
    await removal;
    expect(await store.get(task.id)).toBeNull();
    expect(await store.listEvents(task.id)).toEqual([]);
    expect(await outbox.listForTask(task.id)).toEqual([]);
  });
});
