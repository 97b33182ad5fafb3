import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource, Logger } from 'typeorm';
import { describeTaskStoreContract, newTask } from '../testing/store-contract';
import { describeStoreOutboxContract } from '../testing/store-outbox-contract';
import { describeStoreLimitsContract } from '../testing/store-limits-contract';
import { createStepwiseDataSource } from './data-source';
import { TypeOrmTaskStore } from './typeorm-task-store';
import { TypeOrmWebhookOutbox } from './typeorm-webhook-outbox';

async function openSqlite(dir: string): Promise<DataSource> {
  return createStepwiseDataSource({ sqlitePath: join(dir, 'nested', 'tasks.sqlite') }).initialize();
}

// A fresh SQLite file per test: the migration runs every time, which tests it too.
describeTaskStoreContract('TypeOrmTaskStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-store-'));
  const dataSource = await openSqlite(dir);
  return {
    store: new TypeOrmTaskStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreLimitsContract('TypeOrmTaskStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-store-'));
  const dataSource = await openSqlite(dir);
  return {
    store: new TypeOrmTaskStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeStoreOutboxContract('TypeOrmTaskStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-store-'));
  const dataSource = await openSqlite(dir);
  return {
    store: new TypeOrmTaskStore(dataSource),
    outbox: new TypeOrmWebhookOutbox(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('TypeOrmTaskStore on SQLite: beyond the contract', () => {
  let dir: string;
  const open: DataSource[] = [];
  const connect = async () => {
    const dataSource = await openSqlite(dir);
    open.push(dataSource);
    return dataSource;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepwise-store-'));
  });
  afterEach(async () => {
    for (const dataSource of open.splice(0)) await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets the pragmas', async () => {
    const dataSource = await connect();
    const pragma = async (name: string) => Object.values((await dataSource.query(`PRAGMA ${name}`))[0])[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    expect(await pragma('foreign_keys')).toBe(1);
  });

  it('reverts and re-applies its migrations', async () => {
    const dataSource = await connect();
    const tables = async () =>
      (
        (await dataSource.query(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'stepwise_%' AND name != 'stepwise_migrations'`,
        )) as {
          name: string;
        }[]
      )
        .map((row) => row.name)
        .sort();
    const dueIndexes = async () =>
      (
        (await dataSource.query(
          `SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'IDX_stepwise_tasks_due_%'`,
        )) as { name: string }[]
      )
        .map((row) => row.name)
        .sort();
    // Newest migration first: the table each one adds.
    const added = ['stepwise_uploads', 'stepwise_webhook_deliveries'];
    const initial = ['stepwise_task_events', 'stepwise_task_steps', 'stepwise_tasks'];
    const all = [...initial, ...added, 'stepwise_schedules', 'stepwise_api_keys'].sort();
    const columns = async (table: string) =>
      ((await dataSource.query(`PRAGMA table_info(${table})`)) as { name: string }[]).map((c) => c.name);
    const singletonIndex = async () =>
      (await dataSource.query(
        `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'IDX_stepwise_tasks_singleton'`,
      )) as { sql: string }[];
    // The newest migration lowers PostgreSQL's write cost and leaves SQLite's schema as it is.
    const schema = async () => dataSource.query(`SELECT name, sql FROM sqlite_master ORDER BY name`);
    const before = await schema();
    await dataSource.undoLastMigration();
    expect(await schema()).toEqual(before);
    // Then the audit trail's actor and the task's trace context.
    expect(await columns('stepwise_task_events')).toContain('actor');
    expect(await columns('stepwise_tasks')).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
    await dataSource.undoLastMigration();
    expect(await columns('stepwise_task_events')).not.toContain('actor');
    expect(await columns('stepwise_tasks')).not.toContain('traceparent');
    expect(await columns('stepwise_tasks')).not.toContain('tracestate');
    // Then migration 011: the cluster limits' columns, their indexes, the claims of rate-limited types, the upload reservations.
    const migration011 = ['stepwise_type_claims', 'stepwise_upload_reservations'];
    expect(await tables()).toEqual([...all, 'stepwise_task_signals', ...migration011].sort());
    expect(await columns('stepwise_tasks')).toEqual(expect.arrayContaining(['held_reason', 'held_since']));
    await dataSource.undoLastMigration();
    expect(await columns('stepwise_tasks')).not.toContain('held_reason');
    expect(await columns('stepwise_tasks')).not.toContain('held_since');
    expect(await tables()).toEqual([...all, 'stepwise_task_signals'].sort());
    // Then waits, parents and signals.
    const waitIndexes = ['IDX_stepwise_tasks_due_waiting', 'IDX_stepwise_tasks_parent'];
    const indexNames = async () =>
      ((await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index'`)) as { name: string }[]).map(
        (row) => row.name,
      );
    expect(await tables()).toEqual([...all, 'stepwise_task_signals'].sort());
    expect(await columns('stepwise_tasks')).toEqual(expect.arrayContaining(['waiting_for', 'parent_id']));
    expect(await indexNames()).toEqual(expect.arrayContaining(waitIndexes));
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual(all);
    expect(await columns('stepwise_tasks')).not.toContain('waiting_for');
    expect(await columns('stepwise_tasks')).not.toContain('parent_id');
    expect(await indexNames()).not.toEqual(expect.arrayContaining(waitIndexes.slice(0, 1)));
    // Then the singleton key's column and its partial unique index.
    expect(await columns('stepwise_tasks')).toContain('singleton_key');
    expect((await singletonIndex())[0]?.sql).toMatch(
      /UNIQUE INDEX .* WHERE singleton_key IS NOT NULL AND status NOT IN/,
    );
    await dataSource.undoLastMigration();
    expect(await columns('stepwise_tasks')).not.toContain('singleton_key');
    expect(await singletonIndex()).toEqual([]);
    expect(await tables()).toEqual(all);
    // Then the API keys' table, then the schedules'.
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual(all.filter((table) => table !== 'stepwise_api_keys'));
    await dataSource.undoLastMigration();
    const beforeSchedules = all.filter((table) => table !== 'stepwise_schedules' && table !== 'stepwise_api_keys');
    expect(await tables()).toEqual(beforeSchedules);
    // The sweeper's partial indexes replace the initial migration's two.
    const partial = ['cancels', 'expired', 'overdue'].map((name) => `IDX_stepwise_tasks_due_${name}`);
    expect(await dueIndexes()).toEqual(partial);
    expect(await columns('stepwise_tasks')).toContain('request_fingerprint');
    await dataSource.undoLastMigration();
    expect(await columns('stepwise_tasks')).not.toContain('request_fingerprint');
    expect(await columns('stepwise_task_steps')).toContain('abandoned');
    expect(await columns('stepwise_tasks')).toContain('delete_requested');
    await dataSource.undoLastMigration();
    expect(await columns('stepwise_task_steps')).not.toContain('abandoned');
    expect(await columns('stepwise_tasks')).not.toContain('delete_requested');
    await dataSource.undoLastMigration();
    expect(await dueIndexes()).toEqual(['IDX_stepwise_tasks_due_lease', 'IDX_stepwise_tasks_due_pending']);
    expect(await tables()).toEqual(beforeSchedules);
    for (const [i, table] of added.entries()) {
      await dataSource.undoLastMigration();
      expect(await tables()).not.toContain(table);
      expect(await tables()).toHaveLength(beforeSchedules.length - i - 1);
    }
    await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    await dataSource.runMigrations();
    expect(await tables()).toEqual(
      [...all, 'stepwise_task_signals', 'stepwise_type_claims', 'stepwise_upload_reservations'].sort(),
    );
    expect(await columns('stepwise_tasks')).toContain('held_reason');
    expect(await dueIndexes()).toEqual([...partial, 'IDX_stepwise_tasks_due_waiting']);
    expect(await columns('stepwise_tasks')).toContain('singleton_key');
    expect(await singletonIndex()).toHaveLength(1);
    expect(await columns('stepwise_task_events')).toContain('actor');
    expect(await columns('stepwise_tasks')).toContain('traceparent');
  });

  it("serves each of the sweeper's scans from its partial index, in index order", async () => {
    const dataSource = await connect();
    const store = new TypeOrmTaskStore(dataSource);
    const selects: Array<[string, unknown[]]> = [];
    const logger = dataSource.logger;
    Object.assign(dataSource, {
      logger: Object.assign(Object.create(logger) as Logger, {
        logQuery: (query: string, parameters?: unknown[]) => {
          if (/^SELECT/i.test(query)) selects.push([query, parameters ?? []]);
        },
      }),
    });
    const cursor = {
      expired: { at: 1, id: 'a' },
      cancels: 'a',
      pending: { at: 1, id: 'a' },
      waiting: { at: 1, id: 'a' },
    };
    await store.findDue({ now: 2_000_000, pendingGraceMs: 1000, limit: 10 });
    await store.findDue({ now: 2_000_000, pendingGraceMs: 1000, limit: 10, after: cursor });
    Object.assign(dataSource, { logger });
    const plans: string[] = [];
    for (const [query, parameters] of selects) {
      const rows = (await dataSource.query(`EXPLAIN QUERY PLAN ${query}`, parameters)) as { detail: string }[];
      plans.push(rows.map((row) => row.detail).join('; '));
    }
    // Expired leases, cancels, overdue pending tasks, expired waits; first without, then with cursors.
    const scans = ['expired', 'cancels', 'overdue', 'waiting'].map(
      (name) => new RegExp(`USING INDEX IDX_stepwise_tasks_due_${name}\\b`),
    );
    expect(plans).toHaveLength(8);
    plans.forEach((plan, i) => expect(plan).toMatch(scans[i % 4]));
    // Read in index order, so a LIMIT stops the scan: no sort of all matching rows.
    for (const plan of plans) expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it('lets one of two connections to the same file win a claim (the version check, not the gate)', async () => {
    const stores = [new TypeOrmTaskStore(await connect()), new TypeOrmTaskStore(await connect())];
    const { task } = await stores[0].create(newTask());
    const claim = (store: TypeOrmTaskStore, workerId: string) =>
      store.claim({ taskId: task.id, workerId, leaseMs: 1000, now: task.runAt });
    const results = await Promise.all([claim(stores[0], 'w1'), claim(stores[1], 'w2')]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('keeps writes that interleave with a transaction that rolls back', async () => {
    const store = new TypeOrmTaskStore(await connect());
    const { task } = await store.create(newTask());
    const results = await Promise.allSettled([
      store.create(newTask({ id: task.id })), // duplicate id: its transaction rolls back
      store.setFlags(task.id, { cancelRequested: true }),
      store.appendEvent({
        taskId: task.id,
        owner: task.owner,
        taskType: task.type,
        type: 'task.created',
        status: 'pending',
        progress: 0,
        at: 1,
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect((await store.get(task.id))?.cancelRequested).toBe(true);
    expect(await store.listEvents(task.id)).toHaveLength(1);
  });
});
