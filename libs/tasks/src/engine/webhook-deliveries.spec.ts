import { ManualClock, MemoryTaskStore } from '../adapters/memory';
import { MemoryWebhookDeliveries } from '../adapters/memory/memory-webhook-deliveries';
import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { Step, Task, type StepContext } from '../definition';
import { TASK_EVENT_TYPES, type TaskEventType } from '../model';
import { WebhookNotifier } from '../webhooks/webhook-notifier';
import { resolveWebhookSettings, type WebhookOptions } from '../core/webhook-settings';
import type { NewWebhookDelivery } from '../ports';
import { createEngineFixture, deferred, type Deferred } from './testing/engine-fixture';

const SECRET = 'x'.repeat(32);
const HOOK = 'https://hooks.example.com/h';
const EVERY_EVENT: TaskEventType[] = [...TASK_EVENT_TYPES];

@Task({ name: 'quick' })
class Quick {
  @Step({ order: 1 })
  run() {
    return { secret: 'output of the task' };
  }
}

@Task({ name: 'short-lived', retentionMs: 60_000 })
class ShortLived {
  @Step({ order: 1 })
  run() {
    return { secret: 'output of the task' };
  }
}

@Task({ name: 'two-steps' })
class TwoSteps {
  constructor(readonly gate: Deferred = deferred()) {}

  @Step({ order: 1 })
  async first(ctx: StepContext) {
    ctx.progress(0.5, 'half way');
    await this.gate.promise;
    return 1;
  }

  @Step({ order: 2 })
  second() {
    return 2;
  }
}

/** The outbox rows of a store whose first INSERT of a `task.completed` delivery fails, as a dropped connection would. */
class FlakyDeliveries extends MemoryWebhookDeliveries {
  failures = 0;

  override insert(deliveries: readonly NewWebhookDelivery[]): void {
    if (this.failures === 0 && deliveries.some((d) => d.event === 'task.completed')) {
      this.failures++;
      throw new Error('connection terminated unexpectedly');
    }
    super.insert(deliveries);
  }
}

/** Webhooks on `store`'s outbox rows, with no dispatcher: deliveries stay as written. */
function webhooks(store: MemoryTaskStore, options: WebhookOptions = { subscriptions: [{ url: HOOK }] }) {
  const settings = resolveWebhookSettings({ secret: SECRET, ...options }, 'embedded');
  const clock = new ManualClock();
  let kicks = 0;
  const notifier = new WebhookNotifier(settings, clock, () => kicks++);
  return { clock, notifier, outbox: new MemoryWebhookOutbox(store.webhookDeliveries), kicks: () => kicks };
}

describe('webhook deliveries are written with their events', () => {
  it('W1: a failed write of the completion loses no webhook: the task is never completed without it', async () => {
    const rows = new FlakyDeliveries();
    const store = new MemoryTaskStore(rows);
    const { clock, notifier, outbox } = webhooks(store);
    const f = createEngineFixture({ tasks: [new Quick()], store, clock, notifier });
    await f.engine.start(['worker']);
    const { task } = await f.submit('quick');
    const completedDeliveries = async () =>
      (await outbox.listForTask(task.id)).filter((d) => d.event === 'task.completed');

    await f.flush();
    expect(rows.failures).toBe(1);
    // Whatever the write's failure led to, the state and its delivery go together.
    const afterFailure = await f.task(task.id);
    expect(afterFailure.status === 'completed').toBe((await completedDeliveries()).length === 1);

    // Recovery (a retried write, or the sweeper after the lease) completes it, with its one delivery.
    await f.clock.advance(10 * 60_000);
    expect((await f.task(task.id)).status).toBe('completed');
    const [delivery, ...more] = await completedDeliveries();
    expect(more).toEqual([]);
    expect(delivery).toMatchObject({ status: 'pending', url: HOOK, taskDeleted: false });
    expect(JSON.parse(delivery.payload)).toMatchObject({
      event: 'task.completed',
      output: { secret: 'output of the task' },
    });
    const completedEvents = (await f.store.listEvents(task.id)).filter((e) => e.type === 'task.completed');
    expect(completedEvents).toHaveLength(1);
    await f.engine.stop();
  });

  it('every event in the log has its delivery and no delivery lacks its event (runner, progress, cancel)', async () => {
    const store = new MemoryTaskStore();
    const { clock, notifier, outbox, kicks } = webhooks(store, {
      subscriptions: [{ url: HOOK, events: EVERY_EVENT }],
      includeProgress: true,
    });
    const steps = new TwoSteps();
    const f = createEngineFixture({ tasks: [steps], store, clock, notifier, settings: { progressThrottleMs: 0 } });
    await f.engine.start(['worker']);
    const { task } = await f.submit('two-steps');
    await f.flush();
    await f.engine.cancel(task.id, 'alice');
    steps.gate.resolve();
    const done = await f.settle(task.id, 'cancelled');
    expect(done.status).toBe('cancelled');

    const logged = (await f.store.listEvents(task.id)).map((e) => e.type);
    const sent = (await outbox.listForTask(task.id)).map((d) => d.event);
    expect(logged).toEqual(expect.arrayContaining(['task.created', 'task.progress', 'task.cancel_requested']));
    expect(logged).toContain('task.cancelled');
    expect([...sent].sort()).toEqual([...logged].sort());
    // The dispatcher is woken once per committed event with deliveries, never before.
    expect(kicks()).toBe(logged.length);
    await f.engine.stop();
  });

  it('pause, resume and a step start with task.step subscribed: each event has its delivery', async () => {
    const store = new MemoryTaskStore();
    const { clock, notifier, outbox } = webhooks(store, { subscriptions: [{ url: HOOK, events: EVERY_EVENT }] });
    const f = createEngineFixture({ tasks: [new Quick()], store, clock, notifier });
    const { task } = await f.submit('quick');
    await f.engine.pause(task.id, 'alice');
    await f.engine.resume(task.id, 'alice');
    await f.engine.start(['worker']);
    expect((await f.settle(task.id, 'completed')).status).toBe('completed');

    const logged = (await f.store.listEvents(task.id)).map((e) => e.type);
    // The claim would start the step with its `task.step` in its own statement, which cannot carry
    // deliveries: with `task.step` subscribed, the runner writes that event, with them.
    expect(logged).toEqual(['task.created', 'task.paused', 'task.resumed', 'task.step', 'task.step', 'task.completed']);
    expect((await outbox.listForTask(task.id)).map((d) => d.event).sort()).toEqual([...logged].sort());
    await f.engine.stop();
  });

  it('W2: DELETE removes the task outbox rows with it; only a pending terminal one is still sent', async () => {
    const store = new MemoryTaskStore();
    const { clock, notifier, outbox } = webhooks(store, {
      subscriptions: [{ url: HOOK, events: ['task.created', 'task.completed'] }],
    });
    const f = createEngineFixture({ tasks: [new Quick()], store, clock, notifier });
    await f.engine.start(['worker']);
    const { task } = await f.submit('quick');
    await f.settle(task.id, 'completed');
    expect((await outbox.listForTask(task.id)).map((d) => d.event).sort()).toEqual(['task.completed', 'task.created']);

    await f.engine.remove(task.id, 'alice');
    expect(await f.store.get(task.id)).toBeNull();
    const left = await outbox.listForTask(task.id);
    expect(left.map((d) => [d.event, d.status, d.taskDeleted])).toEqual([['task.completed', 'pending', true]]);
    // Once settled, it goes too: nothing of the task (nor its output) stays.
    const [claimed] = await outbox.claimDue(f.clock.now(), 'd', 30_000, 10);
    const attempt = { attempt: 1, at: f.clock.now(), statusCode: 200, error: null, durationMs: 1 };
    await outbox.markResult(claimed.id, 'd', { attempt, outcome: { status: 'delivered' }, now: f.clock.now() });
    expect(await outbox.listForTask(task.id)).toEqual([]);
    await f.engine.stop();
  });

  it('W2: retention removes the task outbox rows with it', async () => {
    const store = new MemoryTaskStore();
    const { clock, notifier, outbox } = webhooks(store, { subscriptions: [{ url: HOOK, events: ['task.created'] }] });
    const f = createEngineFixture({
      tasks: [new ShortLived()],
      store,
      clock,
      notifier,
      settings: { sweepIntervalMs: 1_000 },
    });
    await f.engine.start(['worker']);
    const { task } = await f.submit('short-lived');
    await f.settle(task.id, 'completed');
    expect(await outbox.listForTask(task.id)).toHaveLength(1);
    await f.clock.advance(2 * 60_000);
    expect(await f.store.get(task.id)).toBeNull();
    expect(await outbox.listForTask(task.id)).toEqual([]);
    await f.engine.stop();
  });
});
