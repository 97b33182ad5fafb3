import { describeTaskStoreContract, newTask } from '../../libs/tasks/src/adapters/testing/store-contract';
import { describeStoreOutboxContract } from '../../libs/tasks/src/adapters/testing/store-outbox-contract';
import { describeStoreLimitsContract } from '../../libs/tasks/src/adapters/testing/store-limits-contract';
import {
  initializeStepwiseDataSource,
  TypeOrmTaskStore,
  TypeOrmWebhookOutbox,
} from '../../libs/tasks/src/adapters/typeorm';
import { newDelivery } from '../../libs/tasks/src/adapters/testing/webhook-outbox-contract';
import type { DataSource, Logger } from 'typeorm';
import type { TaskEvent, TaskEventType, TaskRecord } from '../../libs/tasks/src/model';
import type { Claimed } from '../../libs/tasks/src/ports';
import { claimTasks } from '../../libs/tasks/src/adapters/typeorm/claim-statement';
import { saveHeldTasks } from '../../libs/tasks/src/adapters/typeorm/batch-statements';
import { dialectOf } from '../../libs/tasks/src/adapters/typeorm/sql-statement';
import { hotPathStatements } from '../../libs/tasks/src/adapters/typeorm/hot-path-statements';
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
    'TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks, stepwise_webhook_deliveries, stepwise_task_signals, stepwise_type_claims',
  );
  return dataSource;
}

describeTaskStoreContract('TypeOrmTaskStore on PostgreSQL', async () => {
  const db = await empty();
  return { store: new TypeOrmTaskStore(db, { clock: 'caller' }), close: async () => undefined };
});

describeStoreLimitsContract('TypeOrmTaskStore on PostgreSQL', async () => {
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

describe('TypeOrmTaskStore on PostgreSQL: group commit', () => {
  const T0 = newTask().runAt;
  const LEASE = 30_000;
  const event = (taskId: string, type: TaskEventType, at = T0) =>
    ({ taskId, owner: 'alice', type, taskType: 'create-zip', status: 'running', progress: 0, at }) as TaskEvent;

  /** The statements `fn` sends that match `pattern`. */
  async function statements(db: DataSource, pattern: RegExp, fn: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const logger = db.logger;
    (db as unknown as { logger: Partial<Logger> }).logger = {
      ...logger,
      logQuery: (query: string) => void (pattern.test(query) && seen.push(query)),
    };
    try {
      await fn();
    } finally {
      (db as unknown as { logger: Logger }).logger = logger;
    }
    return seen;
  }

  it('creates made together: the first goes at once, the others in one statement; a twin of a key loses', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const tasks = [1, 2, 3, 4].map(() => newTask());
    const first = newTask({ idempotencyKey: 'k' });
    const twin = newTask({ idempotencyKey: 'k' });
    // The twin is in the batch of the task whose key it shares.
    const all = [tasks[0], first, ...tasks.slice(1), twin];
    const events = all.map((t) => event(t.id, 'task.created'));
    let results: Array<{ task: TaskRecord; created: boolean }> = [];
    const sent = await statements(db, /INSERT INTO stepwise_tasks/, async () => {
      results = await Promise.all(all.map((t, i) => store.create(t, events[i])));
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('unnest(');
    expect(results.map((r) => r.created)).toEqual([true, true, true, true, true, false]);
    expect(results[5].task.id).toBe(first.id);
    expect(events[5].seq).toBeUndefined();
    for (const [i, task] of all.slice(0, 5).entries()) {
      expect(await store.get(task.id)).toEqual(results[i].task);
      expect(await store.listEvents(task.id)).toEqual([events[i]]);
    }
    expect(await store.get(twin.id)).toBeNull();
  });

  it('createMany is one statement for all its tasks, steps and events', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const tasks = Array.from({ length: 50 }, () => newTask());
    const events = tasks.map((t) => event(t.id, 'task.created'));
    const sent = await statements(db, /^WITH|^INSERT/, () =>
      store.createMany(tasks.map((task, i) => ({ task, event: events[i] }))),
    );
    expect(sent).toHaveLength(1);
    expect(new Set(events.map((e) => e.seq)).size).toBe(50);
    for (const [i, task] of tasks.entries()) {
      expect((await store.get(task.id))!.steps).toEqual(task.steps);
      expect(await store.listEvents(task.id)).toEqual([events[i]]);
    }
  });

  it('claims made together: the first at once, the others in one statement, each row by the rule', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const due = [newTask(), newTask()];
    const later = newTask({ runAt: T0 + 1_000 });
    const paused = newTask({ status: 'paused' });
    for (const task of [...due, later, paused]) await store.create(task);
    const claim = (taskId: string, workerId = 'w1') =>
      store.claim({ taskId, workerId, leaseMs: LEASE, now: T0, start: { placement: 'api' } });
    let claims: Array<Claimed | null> = [];
    const sent = await statements(db, /UPDATE stepwise_tasks/, async () => {
      claims = await Promise.all([due[0], later, paused, due[1]].map((t) => claim(t.id)));
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('= ANY(');
    expect(claims.map((c) => c?.task.id ?? null)).toEqual([due[0].id, null, null, due[1].id]);
    for (const [i, task] of due.entries()) {
      const won = claims[i * 3]!;
      expect(won.task).toEqual(await store.get(task.id));
      expect(won.task.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
      expect(await store.listEvents(task.id)).toEqual([won.started]);
    }
    expect((await store.get(later.id))!.leaseOwner).toBeNull();
    expect(await store.listEvents(later.id)).toEqual([]);
    // The same task claimed twice at once, by one worker or two: one claim wins.
    const twice = newTask();
    await store.create(twice);
    const both = await Promise.all([claim(twice.id), claim(twice.id), claim(twice.id, 'w2')]);
    expect(both.filter((c) => c !== null)).toHaveLength(1);
    expect(await store.listEvents(twice.id)).toHaveLength(1);
  });

  it('saves made together: the first at once, the others in one statement; a lost lease writes nothing', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const held: TaskRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const { task } = await store.create(newTask());
      held.push((await store.claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 }))!.task);
    }
    await store.claim({ taskId: held[1].id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE + 1 });
    const events = held.map((t) => [event(t.id, 'task.step', T0 + 1), event(t.id, 'task.completed', T0 + 2)]);
    for (const task of held) {
      Object.assign(task, { status: 'completed', progress: 1, output: { id: task.id }, leaseOwner: null });
      Object.assign(task.steps[0], { status: 'completed', attempts: 1, output: 'x' });
    }
    let saved: boolean[] = [];
    const sent = await statements(db, /UPDATE stepwise_tasks/, async () => {
      saved = await Promise.all(
        held.map((t, i) => store.save(t, 'w1', { steps: ['acceptFiles'], events: events[i], runAfterMs: 0 })),
      );
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('unnest(');
    expect(saved).toEqual([true, false, true]);
    for (const i of [0, 2]) {
      const stored = await store.get(held[i].id);
      expect(stored).toMatchObject({ status: 'completed', output: { id: held[i].id }, leaseOwner: null, version: 3 });
      expect(stored!.steps[0]).toMatchObject({ status: 'completed', output: 'x' });
      expect(events[i][0].seq).toBeLessThan(events[i][1].seq!);
      expect(await store.listEvents(held[i].id)).toEqual(events[i]);
    }
    expect(await store.get(held[1].id)).toMatchObject({ status: 'running', leaseOwner: 'w2' });
    expect(events[1].map((e) => e.seq)).toEqual([undefined, undefined]);
    expect(await store.listEvents(held[1].id)).toEqual([]);
  });
});

describe('TypeOrmTaskStore on PostgreSQL: plans of the batch statements', () => {
  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    Plans?: PlanNode[];
  }
  const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

  /** How the generic plan of `statement` (the one a prepared statement keeps) reads stepwise_tasks. */
  async function tableScans(db: DataSource, statement: { sql: string; params: unknown[] }): Promise<string[]> {
    const indexes = new Set(
      (
        (await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'stepwise_tasks'`)) as Array<{
          indexname: string;
        }>
      ).map((r) => r.indexname),
    );
    const runner = db.createQueryRunner();
    try {
      await runner.query('SET plan_cache_mode = force_generic_plan');
      const [row] = (await runner.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params)) as Array<{
        'QUERY PLAN': Array<{ Plan: PlanNode }>;
      }>;
      return nodes(row['QUERY PLAN'][0].Plan)
        .filter((n) =>
          n['Index Name']
            ? indexes.has(n['Index Name'])
            : n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'stepwise_tasks',
        )
        .map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
    } finally {
      await runner.query('RESET plan_cache_mode');
      await runner.release();
    }
  }

  it('a batch claim and a batch save find their rows by id, on a table autovacuum has not analyzed yet', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db);
    // 10,000 tasks of one type, no statistics: the planner once took the type for as selective as the ids
    // and read every task of it (the retention index) to claim 20.
    for (let i = 0; i < 20; i++) {
      await store.createMany(Array.from({ length: 500 }, () => ({ task: newTask() })));
    }
    const [pk] = (await db.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'stepwise_tasks'::regclass AND contype = 'p'`,
    )) as Array<{ conname: string }>;
    const ids = ((await db.query('SELECT id FROM stepwise_tasks LIMIT 20')) as Array<{ id: string }>).map((r) => r.id);
    const d = dialectOf(db);
    const request = { taskId: ids[0], workerId: 'w1', leaseMs: 30_000, now: 0, types: ['create-zip'] };
    const claim = claimTasks(d, { ...request, start: { placement: 'worker' as const } }, ids);
    const tasks = await Promise.all(ids.map(async (id) => (await store.get(id))!));
    const save = saveHeldTasks(
      d,
      tasks.map((task) => ({ task, workerId: 'w1', steps: task.steps, events: [], deliveries: [] })),
    );
    for (const statement of [claim, save]) {
      const scans = await tableScans(db, statement);
      expect(scans.length).toBeGreaterThan(0);
      for (const scan of scans) expect(scan).toMatch(new RegExp(`Index.* ${pk.conname}$`));
    }
  });
});

describe('TypeOrmTaskStore on PostgreSQL: plans kept by a connection', () => {
  it('a connection plans its statements again past their age: 1 s after its first, then twice as long', async () => {
    const db = await empty();
    const pool = (db.driver as unknown as { master: { connect(): Promise<{ query: (...a: unknown[]) => unknown }> } })
      .master;
    const sent: string[] = [];
    const connect = pool.connect.bind(pool);
    const wrapped = new WeakSet<object>();
    const spy = jest.spyOn(pool, 'connect').mockImplementation(async () => {
      const client = await connect();
      if (wrapped.has(client)) return client;
      wrapped.add(client);
      const query = client.query.bind(client);
      client.query = (config: unknown, ...rest: unknown[]) => {
        sent.push(typeof config === 'string' ? config : 'statement');
        return query(config, ...rest);
      };
      return client;
    });
    let now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const run = hotPathStatements(db, true);
      const statement = { sql: 'SELECT 1 AS one', params: [] };
      // One statement at a time: the pool hands out the same idle connection.
      await run(statement);
      now += 900;
      await run(statement);
      now += 200;
      await run(statement);
      now += 1_500;
      await run(statement);
      now += 600;
      await run(statement);
      expect(sent.filter((s) => s !== 'statement')).toEqual(['DISCARD PLANS', 'DISCARD PLANS']);
      expect(sent.filter((s) => s === 'statement')).toHaveLength(5);
    } finally {
      spy.mockRestore();
      clock.mockRestore();
    }
  });
});

describe('TypeOrmTaskStore on PostgreSQL: retry racing a submit with the same singleton key', () => {
  it('leaves the failed task failed (false) when the holder commits while the retry waits on the index', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const base = newTask();
    const { task: failed } = await store.create(
      newTask({ status: 'failed', singletonKey: 'one', finishedAt: base.runAt + 10 }),
    );
    // An uncommitted holder of the key: the retry's NOT EXISTS cannot see it, its index entry makes the retry wait.
    const holder = newTask({ singletonKey: 'one' });
    const submitter = db.createQueryRunner();
    await submitter.connect();
    await submitter.startTransaction();
    // A copy of the failed row, pending under its own id (its steps do not matter to the index).
    await submitter.query(`CREATE TEMP TABLE twin ON COMMIT DROP AS SELECT * FROM stepwise_tasks WHERE id = $1`, [
      failed.id,
    ]);
    await submitter.query(`UPDATE twin SET id = $1, status = 'pending', finished_at = NULL`, [holder.id]);
    await submitter.query(`INSERT INTO stepwise_tasks SELECT * FROM twin`);
    const retry = store.retryFailed(failed.id, { now: base.runAt + 100, placement: 'worker', progress: 0 });
    for (let i = 0; i < 500; i++) {
      const [row] = (await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      )) as Array<{ n: number }>;
      if (row.n >= 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await submitter.commitTransaction();
    await submitter.release();
    expect(await retry).toBe(false);
    expect((await store.get(failed.id))!.status).toBe('failed');
    expect((await store.get(holder.id))!.status).toBe('pending');
  });
});

describe('TypeOrmTaskStore on PostgreSQL: waits racing what ends them', () => {
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

  /** Another session holding the task's row until `release`: what comes next queues behind it, in order. */
  async function holdRow(db: DataSource, taskId: string): Promise<() => Promise<void>> {
    const blocker = db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT id FROM stepwise_tasks WHERE id = $1 FOR UPDATE', [taskId]);
    return async () => {
      await blocker.commitTransaction();
      await blocker.release();
    };
  }

  const claimedTask = async (store: TypeOrmTaskStore, overrides = {}, workerId = 'w1') => {
    const { task } = await store.create(newTask(overrides));
    return (await store.claim({ taskId: task.id, workerId, leaseMs: 30_000, now: task.runAt }))!.task;
  };

  const suspension = (waitingFor: 'children' | `signal:${string}`) => ({
    ...{ waitingFor, step: 'createZipArchive', runAfterMs: 60_000 },
    ...{ steps: [], events: [] },
  });

  it('two children ending at once: the second sees the first and wakes their parent', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const parent = await claimedTask(store);
    expect(await store.suspend(parent, 'w1', suspension('children'))).toBe('ready');
    const children = [
      await claimedTask(store, { parentId: parent.id }, 'c1'),
      await claimedTask(store, { parentId: parent.id }, 'c2'),
    ];
    expect(await store.suspend(parent, 'w1', suspension('children'))).toBe('waiting');

    // Both children's writes commit their own row, then queue on the parent's.
    const release = await holdRow(db, parent.id);
    const ends = children.map((child, i) =>
      store.save({ ...child, status: 'completed', leaseOwner: null, leaseExpiresAt: null }, `c${i + 1}`),
    );
    await waiters(db, 2);
    await release();
    expect(await Promise.all(ends)).toEqual([true, true]);
    expect(await store.get(parent.id)).toMatchObject({ status: 'pending', waitingFor: null });
  });

  it('a suspension and a signal at once: the signal wakes the task, or the suspension sees it', async () => {
    const db = await empty();
    const store = new TypeOrmTaskStore(db, { clock: 'caller' });
    const signal = { name: 'approved', payload: { ok: true }, at: Date.now() };

    // The suspension gets the row first: it waits, and the signal then wakes it.
    const first = await claimedTask(store);
    let release = await holdRow(db, first.id);
    const suspended = store.suspend(first, 'w1', suspension('signal:approved'));
    await waiters(db, 1);
    const delivered = store.deliverSignal(first.id, signal);
    await waiters(db, 2);
    await release();
    expect(await suspended).toBe('waiting');
    expect(await delivered).toMatchObject({ woken: true });
    expect(await store.get(first.id)).toMatchObject({ status: 'pending', waitingFor: null });

    // The signal gets it first: the suspension finds it there and does not wait.
    const second = await claimedTask(store);
    release = await holdRow(db, second.id);
    const early = store.deliverSignal(second.id, signal);
    await waiters(db, 1);
    const late = store.suspend(second, 'w1', suspension('signal:approved'));
    await waiters(db, 2);
    await release();
    expect(await early).toMatchObject({ woken: false });
    expect(await late).toBe('ready');
    expect(await store.get(second.id)).toMatchObject({ status: 'running', leaseOwner: 'w1' });
  });
});

describe('TypeOrmTaskStore on PostgreSQL: claims under a max racing in two sessions', () => {
  it('lets exactly one of two simultaneous claims of a `max: 1` type through, round after round', async () => {
    const db = await empty();
    // Two stores, two pooled connections: two workers' transactions in READ COMMITTED.
    const workers = [new TypeOrmTaskStore(db), new TypeOrmTaskStore(db)];
    const limits = { 'one-at-a-time': { max: 1 } };
    for (let round = 0; round < 20; round++) {
      const tasks = await Promise.all(
        workers.map(async (store) => (await store.create(newTask({ type: 'one-at-a-time', runAt: 0 }))).task),
      );
      const results = await Promise.all(
        workers.map((store, i) =>
          store.claimWithinLimits!({ taskId: tasks[i].id, workerId: `w${i}`, leaseMs: 60_000, now: 0, limits }),
        ),
      );
      const won = results.filter((r) => r?.task);
      expect(won).toHaveLength(1);
      const held = results.flatMap((r) => (r && r.task === null ? [r.held] : []));
      expect(held).toMatchObject([{ reason: 'concurrency' }]);
      // Frees the slot for the next round: the winner's lease ends.
      await db.query('UPDATE stepwise_tasks SET lease_owner = NULL, status = $1 WHERE id = $2', [
        'completed',
        won[0]!.task!.id,
      ]);
    }
  });
});

describe('TypeOrmTaskStore on PostgreSQL: submits under an activeTasks quota racing in many sessions', () => {
  it('creates exactly as many tasks as the quota allows, whatever the number in flight', async () => {
    const db = await empty();
    // A store per submit: as many pooled connections, each its own transaction in READ COMMITTED.
    const quota = 3;
    for (let round = 0; round < 5; round++) {
      const owner = `owner-${round}`;
      const stores = Array.from({ length: 8 }, () => new TypeOrmTaskStore(db));
      const outcomes = await Promise.all(stores.map((store) => store.createWithinQuota!(newTask({ owner }), quota)));
      expect(outcomes.filter((o) => o.task !== null)).toHaveLength(quota);
      expect(outcomes.filter((o) => o.task === null)).toEqual(
        Array.from({ length: 8 - quota }, () => ({ task: null, active: quota })),
      );
      expect(await stores[0].countActive(owner)).toBe(quota);
    }
  });
});

describe('TypeOrmTaskStore on PostgreSQL: claims under fairness.perOwner racing in two sessions', () => {
  it("lets exactly one of an owner's two simultaneous claims of two types through under ownerMax 1, round after round", async () => {
    const db = await empty();
    const workers = [new TypeOrmTaskStore(db), new TypeOrmTaskStore(db)];
    const types = ['import', 'export'];
    for (let round = 0; round < 20; round++) {
      const tasks = await Promise.all(
        workers.map(async (store, i) => (await store.create(newTask({ type: types[i], runAt: 0 }))).task),
      );
      const results = await Promise.all(
        workers.map((store, i) =>
          store.claimWithinLimits!({
            taskId: tasks[i].id,
            workerId: `w${i}`,
            leaseMs: 60_000,
            now: 0,
            limits: {},
            ownerMax: 1,
          }),
        ),
      );
      const won = results.filter((r) => r?.task);
      expect(won).toHaveLength(1);
      const held = results.flatMap((r) => (r && r.task === null ? [r.held] : []));
      expect(held).toMatchObject([{ reason: 'owner-concurrency' }]);
      // Ends the winner's run and drops the held one: the next round starts from nothing running.
      await db.query('UPDATE stepwise_tasks SET lease_owner = NULL, status = $1 WHERE owner = $2', [
        'completed',
        'alice',
      ]);
    }
  });
});
