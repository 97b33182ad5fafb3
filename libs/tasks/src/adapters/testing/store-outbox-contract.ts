import { randomUUID } from 'node:crypto';
import type { TaskEvent, TaskEventType, TaskRecord } from '../../model';
import { newDeliveryRecord, type WebhookOutbox } from '../../ports/webhook-outbox';
import { newDelivery } from './webhook-outbox-contract';
import type { NewTask, NewWebhookDelivery, TaskStore } from '../../ports';
import { newTask } from './store-contract';

/** A task store and the webhook outbox that reads the deliveries it writes. */
export interface StoreWithOutboxUnderTest {
  store: TaskStore;
  outbox: WebhookOutbox;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

function event(task: Pick<TaskRecord, 'id'>, type: TaskEventType, overrides: Partial<TaskEvent> = {}): TaskEvent {
  return {
    taskId: task.id,
    owner: 'alice',
    type,
    taskType: 'create-zip',
    status: 'running',
    progress: 0.5,
    at: T0,
    ...overrides,
  };
}

/**
 * How every TaskStore writes webhook deliveries (MemoryTaskStore is the
 * reference): with the event they announce, in the same transaction, all or
 * nothing; and how it removes them with their task.
 */
export function describeStoreOutboxContract(name: string, make: () => Promise<StoreWithOutboxUnderTest>): void {
  describe(`TaskStore webhook deliveries: ${name}`, () => {
    let handle: StoreWithOutboxUnderTest;
    let store: TaskStore;
    let outbox: WebhookOutbox;
    beforeEach(async () => {
      handle = await make();
      ({ store, outbox } = handle);
    });
    afterEach(() => handle.close());

    const delivery = (taskId: string, type: TaskEventType, overrides: Partial<NewWebhookDelivery> = {}) =>
      newDelivery({ taskId, event: type, ...overrides });
    const claimed = async (overrides: Partial<NewTask> = {}, workerId = 'w1') => {
      const { task } = await store.create(newTask(overrides));
      const record = await store.claim({ taskId: task.id, workerId, leaseMs: LEASE, now: T0 });
      if (!record) throw new Error('fixture claim failed');
      return record.task;
    };
    const stored = async (taskId: string) => (await outbox.listForTask(taskId)).map((d) => d.id);
    /**
     * Whether the write was refused with an error. Not `rejects.toThrow()`:
     * better-sqlite3's errors may come from another test file's realm (its
     * native module is loaded once per worker), and are then no `Error` here.
     */
    const refused = (write: Promise<unknown>) =>
      write.then(
        () => false,
        () => true,
      );

    it('create writes the deliveries of task.created with the task; an idempotent twin writes none', async () => {
      const first = newTask({ idempotencyKey: 'k' });
      const created = delivery(first.id, 'task.created');
      expect((await store.create(first, event(first, 'task.created'), [created])).created).toBe(true);
      const [row] = await outbox.listForTask(first.id);
      // As enqueued: the exact payload, pending, due at once, no attempt yet.
      expect(row).toEqual(newDeliveryRecord(created));

      const twin = newTask({ idempotencyKey: 'k' });
      const again = await store.create(twin, event(twin, 'task.created'), [delivery(twin.id, 'task.created')]);
      expect(again).toMatchObject({ created: false, task: { id: first.id } });
      expect(await stored(twin.id)).toEqual([]);
      expect(await stored(first.id)).toEqual([created.id]);
    });

    it('save writes the deliveries with its events; a write refused for a lost lease writes none', async () => {
      const task = await claimed();
      Object.assign(task, { status: 'completed', progress: 1, output: { n: 1 }, updatedAt: T0 + 10 });
      const done = event(task, 'task.completed', { status: 'completed', progress: 1 });
      const hooks = [
        delivery(task.id, 'task.completed'),
        delivery(task.id, 'task.completed', { url: 'https://b.test/' }),
      ];
      expect(await store.save(task, 'w1', { events: [done], deliveries: hooks })).toBe(true);
      // Listed oldest first, then by id: the two were enqueued at the same time.
      const listed = (await outbox.listForTask(task.id)).map((d) => [d.id, d.url, d.status]);
      expect(listed).toEqual(hooks.map((h) => [h.id, h.url, 'pending']).sort((a, b) => (a[0] < b[0] ? -1 : 1)));

      const lost = await claimed();
      await store.claim({ taskId: lost.id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE + 1 });
      const late = [delivery(lost.id, 'task.completed')];
      const lateWrite = { events: [event(lost, 'task.completed')], deliveries: late };
      expect(await store.save({ ...lost, status: 'completed' }, 'w1', lateWrite)).toBe(false);
      expect(await stored(lost.id)).toEqual([]);
    });

    it('a delivery that cannot be written undoes its whole write: no state change, no event', async () => {
      const task = await claimed();
      const taken = delivery(task.id, 'task.step');
      expect(await store.save(task, 'w1', { events: [event(task, 'task.step')], deliveries: [taken] })).toBe(true);
      const before = await store.get(task.id);
      const eventsBefore = await store.listEvents(task.id);

      // The same delivery id again: its INSERT fails, as a transient error would.
      const finish = { ...task, status: 'completed' as const, progress: 1, leaseOwner: null, leaseExpiresAt: null };
      const done = event(task, 'task.completed', { status: 'completed' });
      const hooks = [delivery(task.id, 'task.completed'), { ...taken, event: 'task.completed' as const }];
      expect(await refused(store.save(finish, 'w1', { events: [done], deliveries: hooks }))).toBe(true);
      expect(await store.get(task.id)).toEqual(before);
      expect(await store.listEvents(task.id)).toEqual(eventsBefore);
      expect(await stored(task.id)).toEqual([taken.id]);
      // Nothing was half-written: the same write, with a fresh id, goes through whole.
      const retry = [hooks[0], delivery(task.id, 'task.completed')];
      expect(await store.save(finish, 'w1', { events: [done], deliveries: retry })).toBe(true);
      expect((await store.get(task.id))?.status).toBe('completed');
      expect((await store.listEvents(task.id)).map((e) => e.type)).toEqual(['task.step', 'task.completed']);
      expect((await stored(task.id)).sort()).toEqual([taken.id, ...retry.map((d) => d.id)].sort());

      const fresh = newTask();
      const clash = [delivery(fresh.id, 'task.created', { id: taken.id })];
      expect(await refused(store.create(fresh, event(fresh, 'task.created'), clash))).toBe(true);
      expect(await store.get(fresh.id)).toBeNull();
      expect(await store.listEvents(fresh.id)).toEqual([]);
    });

    it('saveProgress writes its deliveries with its event, and none without the lease', async () => {
      const task = await claimed();
      const change = { progress: 0.5, message: 'half', step: 'acceptFiles', stepProgress: 0.5, updatedAt: T0 + 1 };
      const hook = delivery(task.id, 'task.progress');
      expect(await store.saveProgress(task.id, 'w1', change, event(task, 'task.progress'), [hook])).toBe(true);
      expect(await stored(task.id)).toEqual([hook.id]);
      const late = delivery(task.id, 'task.progress');
      expect(await store.saveProgress(task.id, 'w2', change, event(task, 'task.progress'), [late])).toBe(false);
      expect(await stored(task.id)).toEqual([hook.id]);
    });

    it('appendEvent writes its deliveries with the event, and none for a task that is gone', async () => {
      const { task } = await store.create(newTask());
      const hook = delivery(task.id, 'task.cancel_requested');
      const appended = await store.appendEvent(event(task, 'task.cancel_requested'), [hook]);
      expect(appended.seq).toEqual(expect.any(Number));
      expect((await store.listEvents(task.id)).map((e) => e.seq)).toEqual([appended.seq]);
      expect(await stored(task.id)).toEqual([hook.id]);

      const gone = randomUUID();
      await store.appendEvent(event({ id: gone }, 'task.paused'), [delivery(gone, 'task.paused')]);
      expect(await stored(gone)).toEqual([]);
    });

    it('requestStop writes the deliveries of its task.cancel_requested only when it sets the cancel', async () => {
      const { task } = await store.create(newTask());
      const first = delivery(task.id, 'task.cancel_requested');
      const request = { cancel: true, delete: false, event: event(task, 'task.cancel_requested'), deliveries: [first] };
      expect(await store.requestStop(task.id, request)).toEqual({ cancelled: true });
      expect(await stored(task.id)).toEqual([first.id]);
      // Requested before: no event, so no delivery either.
      const again = {
        ...request,
        event: event(task, 'task.cancel_requested'),
        deliveries: [delivery(task.id, 'task.cancel_requested')],
      };
      expect(await store.requestStop(task.id, { ...again, delete: true })).toEqual({ cancelled: false });
      expect(await stored(task.id)).toEqual([first.id]);
    });

    it('setPaused writes the deliveries of its event only when the status moves', async () => {
      const { task } = await store.create(newTask());
      const paused = delivery(task.id, 'task.paused');
      const pausedEvent = event(task, 'task.paused', { status: 'paused' });
      expect(await store.setPaused(task.id, true, T0, pausedEvent, [paused])).toEqual({
        before: 'pending',
        after: 'paused',
      });
      expect(await stored(task.id)).toEqual([paused.id]);
      const twice = [delivery(task.id, 'task.paused')];
      expect(await store.setPaused(task.id, true, T0, event(task, 'task.paused'), twice)).toEqual({
        before: 'paused',
        after: 'paused',
      });
      expect(await stored(task.id)).toEqual([paused.id]);

      // A running task only gets the request: no move, no event, no delivery.
      const running = await claimed();
      const unmoved = [delivery(running.id, 'task.paused')];
      expect(await store.setPaused(running.id, true, T0, event(running, 'task.paused'), unmoved)).toEqual({
        before: 'running',
        after: 'running',
      });
      expect(await stored(running.id)).toEqual([]);
    });

    it('a delivery of a request that cannot be written undoes the request', async () => {
      const { task } = await store.create(newTask());
      const taken = delivery(task.id, 'task.created');
      expect(await store.appendEvent(event(task, 'task.created'), [taken])).toMatchObject({ taskId: task.id });
      const clash = [{ ...taken, event: 'task.paused' as const }];
      expect(await refused(store.setPaused(task.id, true, T0, event(task, 'task.paused'), clash))).toBe(true);
      expect(await store.get(task.id)).toMatchObject({ status: 'pending', pauseRequested: false, version: 1 });
      const stop = { cancel: true, delete: true, event: event(task, 'task.cancel_requested'), deliveries: clash };
      expect(await refused(store.requestStop(task.id, stop))).toBe(true);
      expect(await store.get(task.id)).toMatchObject({ cancelRequested: false, deleteRequested: false });
      expect((await store.listEvents(task.id)).map((e) => e.type)).toEqual(['task.created']);
    });

    it('delete removes the deliveries with the task; a pending terminal one is still sent, then goes', async () => {
      const task = await claimed();
      const [progress, step, completed, failed] = [
        delivery(task.id, 'task.progress'),
        delivery(task.id, 'task.step'),
        delivery(task.id, 'task.completed'),
        delivery(task.id, 'task.failed', { failedWith: 'webhooks are disabled' }),
      ];
      const other = await claimed();
      const unrelated = delivery(other.id, 'task.completed');
      const events = [event(task, 'task.progress'), event(task, 'task.step'), event(task, 'task.completed')];
      expect(await store.save(task, 'w1', { events, deliveries: [progress, step, completed, failed] })).toBe(true);
      expect(await store.save(other, 'w1', { events: [event(other, 'task.completed')], deliveries: [unrelated] })).toBe(
        true,
      );
      // The step's delivery has been sent; the others are still pending (or failed for good).
      await outbox.claimDue(T0, 'd1', LEASE, 10);
      const sent = { attempt: { attempt: 1, at: T0, statusCode: 200, error: null, durationMs: 3 } };
      expect(await outbox.markResult(step.id, 'd1', { ...sent, outcome: { status: 'delivered' }, now: T0 + 1 })).toBe(
        true,
      );
      for (const d of [progress, completed, unrelated]) await outbox.release(d.id, 'd1');

      await store.delete(task.id);
      expect(await store.get(task.id)).toBeNull();
      const left = await outbox.listForTask(task.id);
      expect(left.map((d) => [d.id, d.status, d.taskDeleted])).toEqual([[completed.id, 'pending', true]]);
      expect(await stored(other.id)).toEqual([unrelated.id]);

      // Still attempted (the receiver may be waiting for it); once settled, the row goes.
      const due = await outbox.claimDue(T0 + 2, 'd2', LEASE, 10);
      expect(due.map((d) => d.id).sort()).toEqual([completed.id, unrelated.id].sort());
      const retry = { status: 'pending' as const, nextAttemptAt: T0 + 10 };
      const failedAttempt = { attempt: 1, at: T0 + 2, statusCode: 503, error: 'HTTP 503', durationMs: 3 };
      await outbox.markResult(completed.id, 'd2', { attempt: failedAttempt, outcome: retry, now: T0 + 3 });
      expect(await stored(task.id)).toEqual([completed.id]);
      await outbox.claimDue(T0 + 10, 'd2', LEASE, 10);
      const ok = { attempt: 2, at: T0 + 10, statusCode: 200, error: null, durationMs: 3 };
      expect(
        await outbox.markResult(completed.id, 'd2', { attempt: ok, outcome: { status: 'delivered' }, now: T0 + 11 }),
      ).toBe(true);
      expect(await outbox.listForTask(task.id)).toEqual([]);
    });
  });
}
