import type { DataSource } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmTaskStore } from '../../libs/tasks/src/adapters/typeorm';
import { newTask } from '../../libs/tasks/src/adapters/testing/store-contract';
import type { TaskEvent } from '../../libs/tasks/src/model';
import { PostgresServer } from './harness/postgres-server';

/**
 * Migration 1700000000013 on PostgreSQL: the event log keyed by (task_id, id)
 * with no second index, the steps without a foreign key (their pages 70 %
 * full), what the store does still right without them (a delete leaves no
 * step behind), and its undo restoring the schema before it.
 */
describe('hot path schema (PostgreSQL, migration 1700000000013)', () => {
  const postgres = new PostgresServer();
  let dataSource: DataSource;

  beforeAll(async () => {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await postgres.stop();
  });

  const primaryKey = async (table: string) =>
    (
      (await dataSource.query(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [table],
      )) as Array<{ attname: string }>
    ).map((r) => r.attname);
  const indexes = async (table: string) =>
    (
      (await dataSource.query('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [
        table,
      ])) as Array<{
        indexname: string;
      }>
    ).map((r) => r.indexname);
  const foreignKeys = async (table: string) =>
    (
      (await dataSource.query("SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'", [
        table,
      ])) as unknown[]
    ).length;
  const options = async (table: string) =>
    (
      (await dataSource.query('SELECT reloptions FROM pg_class WHERE oid = $1::regclass', [table])) as Array<{
        reloptions: string[] | null;
      }>
    )[0].reloptions ?? [];

  it('keys the event log by (task_id, id) alone and drops the steps’ foreign key', async () => {
    expect(await primaryKey('stepwise_task_events')).toEqual(['task_id', 'id']);
    expect(await indexes('stepwise_task_events')).toEqual(['PK_stepwise_task_events']);
    expect(await foreignKeys('stepwise_task_steps')).toBe(0);
    expect(await options('stepwise_task_steps')).toEqual(['fillfactor=70']);
  });

  it('still deletes a task with its steps and events, and reads its events in order', async () => {
    const store = new TypeOrmTaskStore(dataSource, { clock: 'caller' });
    const task = newTask();
    const event: TaskEvent = {
      taskId: task.id,
      owner: task.owner,
      type: 'task.created',
      taskType: task.type,
      status: 'pending',
      progress: 0,
      at: 1_000,
    };
    await store.create(task, event);
    await store.appendEvent({ ...event, type: 'task.progress', progress: 0.5 });
    const events = await store.listEvents(task.id);
    expect(events.map((e) => e.type)).toEqual(['task.created', 'task.progress']);
    expect(events[0].seq).toBeLessThan(events[1].seq!);
    await store.delete(task.id);
    expect(await store.get(task.id)).toBeNull();
    const left = (await dataSource.query(
      `SELECT (SELECT count(*) FROM stepwise_task_steps WHERE task_id = $1)::int AS steps,
              (SELECT count(*) FROM stepwise_task_events WHERE task_id = $1)::int AS events`,
      [task.id],
    )) as Array<{ steps: number; events: number }>;
    expect(left[0]).toEqual({ steps: 0, events: 0 });
  });

  it('undoes to the schema before it, and applies again', async () => {
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await primaryKey('stepwise_task_events')).toEqual(['id']);
    expect(await indexes('stepwise_task_events')).toContain('IDX_stepwise_events_task');
    expect(await foreignKeys('stepwise_task_steps')).toBe(1);
    expect(await options('stepwise_task_steps')).toEqual([]);
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await primaryKey('stepwise_task_events')).toEqual(['task_id', 'id']);
    expect(await foreignKeys('stepwise_task_steps')).toBe(0);
  });
});
