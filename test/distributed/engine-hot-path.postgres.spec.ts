import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { DataSource, Logger } from 'typeorm';
import { ManualClock } from '../../libs/tasks/src/adapters/memory';
import { newTask } from '../../libs/tasks/src/adapters/testing/store-contract';
import { initializeStepwiseDataSource, TypeOrmTaskStore } from '../../libs/tasks/src/adapters/typeorm';
import { Step, Task } from '../../libs/tasks/src/definition';
import { createEngineFixture } from '../../libs/tasks/src/engine/testing/engine-fixture';
import { WebhookNotifier } from '../../libs/tasks/src/webhooks/webhook-notifier';
import { OtelTaskTracer } from '../../libs/tasks/src/adapters/otel/otel-task-tracer';
import type { TaskTracer } from '../../libs/tasks/src/ports';
import { resolveWebhookSettings } from '../../libs/tasks/src/core/webhook-settings';
import { PostgresServer } from './harness/postgres-server';

/** Every statement TypeORM sends, while `on`. */
class StatementLog implements Logger {
  on = false;
  readonly statements: string[] = [];
  logQuery(query: string) {
    if (this.on) this.statements.push(query.replace(/\s+/g, ' ').trim());
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

@Task({ name: 'noop' })
class Noop {
  @Step({ order: 1 })
  run() {
    return 'done';
  }
}

/** A type with cluster limits beside `noop`: its claims take the limited path, `noop`'s must not. */
@Task({ name: 'limited', concurrency: { max: 1 }, rateLimit: { max: 10, perMs: 1000 } })
class Limited {
  @Step({ order: 1 })
  run() {
    return 'done';
  }
}

const postgres = new PostgresServer();
let dataSource: DataSource;

beforeAll(async () => {
  await postgres.start();
  dataSource = await initializeStepwiseDataSource({ url: postgres.url });
}, 60_000);

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

beforeEach(async () => {
  await dataSource.query(
    'TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks, stepwise_webhook_deliveries',
  );
});

describe('leases on the database clock (PostgreSQL)', () => {
  const LEASE = 30_000;

  it('a claimant whose own clock runs 27 s (or a day) ahead cannot take a live lease', async () => {
    const store = new TypeOrmTaskStore(dataSource);
    const now = Date.now();
    await store.create(newTask({ createdAt: now - 1000, runAt: now - 1000 }));
    const [{ id }] = (await dataSource.query('SELECT id FROM stepwise_tasks')) as Array<{ id: string }>;
    const held = await store.claim({ taskId: id, workerId: 'A', leaseMs: LEASE, now });
    expect(held?.task.leaseOwner).toBe('A');
    for (const ahead of [27_000, 86_400_000]) {
      expect(await store.claim({ taskId: id, workerId: 'B', leaseMs: LEASE, now: now + ahead })).toBeNull();
    }
    // A's heartbeat from a clock a day behind still extends the lease from the database's now.
    expect((await store.renewLease(id, 'A', LEASE, now - 86_400_000)).held).toBe(true);
    const [row] = (await dataSource.query(
      'SELECT lease_owner, lease_expires_at - (EXTRACT(EPOCH FROM now()) * 1000)::bigint AS left_ms FROM stepwise_tasks',
    )) as Array<{ lease_owner: string; left_ms: string }>;
    expect(row.lease_owner).toBe('A');
    expect(Number(row.left_ms)).toBeGreaterThan(LEASE - 5_000);
  });

  it('a task submitted by a process whose clock runs ahead or behind is due on the database clock', async () => {
    const store = new TypeOrmTaskStore(dataSource);
    for (const skew of [86_400_000, -86_400_000]) {
      const at = Date.now() + skew;
      await store.create(newTask({ createdAt: at, runAt: at }));
    }
    await store.create(newTask({ createdAt: Date.now() - 86_400_000, runAt: Date.now() - 86_400_000 + 60_000 }));
    const rows = (await dataSource.query(
      'SELECT run_at - (EXTRACT(EPOCH FROM now()) * 1000)::bigint AS due_in FROM stepwise_tasks ORDER BY run_at',
    )) as Array<{ due_in: string }>;
    const dueIn = rows.map((r) => Number(r.due_in));
    // Due now (not a day early, which the sweeper would re-dispatch at once, nor a day late)...
    expect(Math.abs(dueIn[0])).toBeLessThan(5_000);
    expect(Math.abs(dueIn[1])).toBeLessThan(5_000);
    // ...and a delay stays a delay.
    expect(dueIn[2]).toBeGreaterThan(55_000);
  });

  it('a retry is due after its delay on the database clock, whatever the worker clock says', async () => {
    const store = new TypeOrmTaskStore(dataSource);
    await store.create(newTask({ runAt: 0 }));
    const [{ id }] = (await dataSource.query('SELECT id FROM stepwise_tasks')) as Array<{ id: string }>;
    const held = (await store.claim({ taskId: id, workerId: 'A', leaseMs: LEASE, now: Date.now() }))!.task;
    // The worker's clock is a day ahead: its own runAt would be meaningless to everyone else.
    Object.assign(held, { status: 'pending', runAt: Date.now() + 86_400_000, leaseOwner: null, leaseExpiresAt: null });
    expect(await store.save(held, 'A', { runAfterMs: 60_000 })).toBe(true);
    const [row] = (await dataSource.query(
      'SELECT run_at - (EXTRACT(EPOCH FROM now()) * 1000)::bigint AS due_in FROM stepwise_tasks',
    )) as Array<{ due_in: string }>;
    expect(Number(row.due_in)).toBeGreaterThan(55_000);
    expect(Number(row.due_in)).toBeLessThanOrEqual(60_000);
    expect(await store.claim({ taskId: id, workerId: 'B', leaseMs: LEASE, now: Date.now() + 86_400_000 })).toBeNull();
  });
});

describe('hot path (PostgreSQL)', () => {
  /** Runs one `noop` task to completion; the statements it cost (the sweeper's reads left out). */
  async function runOne(
    notifier?: WebhookNotifier,
    tracer?: TaskTracer,
    tasks: object[] = [new Noop()],
  ): Promise<{ taskId: string; perTask: string[] }> {
    const log = new StatementLog();
    (dataSource as unknown as { logger: Logger }).logger = log;
    const clock = new ManualClock();
    const store = new TypeOrmTaskStore(dataSource);
    const f = createEngineFixture({ tasks, store, clock, notifier, tracer });
    await f.engine.start(['worker']);
    for (let i = 0; i < 5; i++) await f.flush(); // the sweeper's first pass is not per task
    let done = false;
    f.bus.subscribe((e) => {
      if (e.type === 'task.completed') done = true;
    });
    log.on = true;
    const { task } = await f.submit('noop');
    for (let i = 0; i < 200 && !done; i++) {
      await f.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    log.on = false;
    await f.engine.stop();
    expect((await f.store.get(task.id))!.status).toBe('completed');
    // The sweeper may pass meanwhile: its reads are not the task's cost.
    return { taskId: task.id, perTask: log.statements.filter((s) => !/^SELECT/i.test(s)) };
  }

  it('a 1-step task from submit to completed costs 3 statements and no explicit transaction', async () => {
    const { taskId, perTask } = await runOne();
    const transactions = perTask.filter((s) => /^(BEGIN|START TRANSACTION)/i.test(s));
    expect(transactions).toEqual([]);
    // create (with steps and task.created), claim with the step's start, step completed + finish.
    expect(perTask).toHaveLength(3);
    const events = await new TypeOrmTaskStore(dataSource).listEvents(taskId);
    expect(events.map((e) => e.type)).toEqual(['task.created', 'task.step', 'task.step', 'task.completed']);
  });

  it('with tracing, the trace context rides in the create statement: still 3 statements', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    try {
      const { taskId, perTask } = await runOne(undefined, new OtelTaskTracer());
      expect(perTask).toHaveLength(3);
      expect(perTask[0]).toMatch(/^(WITH .*)?INSERT INTO stepwise_tasks .*traceparent/);
      const submit = exporter.getFinishedSpans().find((s) => s.name === 'stepwise.submit noop')!;
      const step = exporter.getFinishedSpans().find((s) => s.name === 'stepwise.step noop.run')!;
      expect((await new TypeOrmTaskStore(dataSource).get(taskId))!.traceparent).toBe(
        `00-${submit.spanContext().traceId}-${submit.spanContext().spanId}-01`,
      );
      expect(step.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
    } finally {
      await provider.shutdown();
      trace.disable();
      context.disable();
    }
  });

  it('beside a type with cluster limits, a plain task still costs 3 statements and no transaction', async () => {
    const { perTask } = await runOne(undefined, undefined, [new Noop(), new Limited()]);
    expect(perTask.filter((s) => /^(BEGIN|START TRANSACTION)/i.test(s))).toEqual([]);
    expect(perTask.filter((s) => s.includes('pg_advisory_xact_lock'))).toEqual([]);
    expect(perTask).toHaveLength(3);
  });

  it('with webhooks, each delivery rides in the statement of its event: still 3 statements', async () => {
    const settings = resolveWebhookSettings(
      {
        secret: 'x'.repeat(32),
        subscriptions: [{ url: 'https://hooks.example.com/h', events: ['task.created', 'task.completed'] }],
      },
      'distributed',
    );
    const { taskId, perTask } = await runOne(new WebhookNotifier(settings, new ManualClock()));
    expect(perTask.filter((s) => /^(BEGIN|START TRANSACTION)/i.test(s))).toEqual([]);
    expect(perTask).toHaveLength(3);
    // The create and the finish each carry their delivery, as a CTE of their one statement.
    const withDeliveries = perTask.filter((s) => s.includes('INSERT INTO stepwise_webhook_deliveries'));
    expect(withDeliveries).toHaveLength(2);
    expect(withDeliveries.every((s) => /^WITH /.test(s) && s.includes('INSERT INTO stepwise_task_events'))).toBe(true);
    const rows = (await dataSource.query(
      'SELECT event, status, payload FROM stepwise_webhook_deliveries WHERE task_id = $1 ORDER BY event',
      [taskId],
    )) as Array<{ event: string; status: string; payload: string }>;
    expect(rows.map((r) => [r.event, r.status])).toEqual([
      ['task.completed', 'pending'],
      ['task.created', 'pending'],
    ]);
    expect(JSON.parse(rows[0].payload)).toMatchObject({ event: 'task.completed', taskId, output: 'done' });
  });
  it('with task.step subscribed, the runner starts the step (its write carries the deliveries): 4 statements', async () => {
    const settings = resolveWebhookSettings(
      { secret: 'x'.repeat(32), subscriptions: [{ url: 'https://hooks.example.com/h', events: ['task.step'] }] },
      'distributed',
    );
    const { taskId, perTask } = await runOne(new WebhookNotifier(settings, new ManualClock()));
    // create, claim, step started, step completed + finish.
    expect(perTask).toHaveLength(4);
    const rows = (await dataSource.query(
      'SELECT event, payload FROM stepwise_webhook_deliveries WHERE task_id = $1 ORDER BY created_at, id',
      [taskId],
    )) as Array<{ event: string; payload: string }>;
    const steps = rows.map((r) => JSON.parse(r.payload) as { event: string; step: string });
    expect(steps.map((b) => [b.event, b.step]).sort()).toEqual([
      ['task.step', 'run'],
      ['task.step', 'run'],
    ]);
  });
});
