import { randomUUID } from 'node:crypto';
import type { TaskEventType } from '../../model';
import type { NewWebhookDelivery, WebhookAttempt, WebhookOutbox } from '../../ports/webhook-outbox';

/** An outbox under test and how to dispose of it. */
export interface OutboxUnderTest {
  outbox: WebhookOutbox;
  /** A second outbox on the same storage (another process), when the adapter has one. */
  other?: WebhookOutbox;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

export function newDelivery(overrides: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery {
  const id = randomUUID();
  return {
    id,
    taskId: randomUUID(),
    event: 'task.completed',
    url: 'https://hooks.example.com/stepwise',
    target: 'callback',
    payload: JSON.stringify({ id, event: 'task.completed', note: 'é ✓ "quoted"' }),
    maxAttempts: 5,
    createdAt: T0,
    nextAttemptAt: T0,
    ...overrides,
  };
}

function attempt(n: number, statusCode: number | null, error: string | null = null): WebhookAttempt {
  return { attempt: n, at: T0 + n, statusCode, error, durationMs: 12 };
}

/**
 * The semantics every WebhookOutbox shares (MemoryWebhookOutbox is the
 * reference): leases, conditional results, the log, delete of a task.
 */
export function describeWebhookOutboxContract(name: string, make: () => Promise<OutboxUnderTest>): void {
  describe(`WebhookOutbox contract: ${name}`, () => {
    let handle: OutboxUnderTest;
    let outbox: WebhookOutbox;
    beforeEach(async () => {
      handle = await make();
      outbox = handle.outbox;
    });
    afterEach(async () => {
      await handle.close();
    });

    it('stores a delivery with its exact payload and lists it for its task', async () => {
      const delivery = newDelivery();
      await outbox.enqueue(delivery);
      const [stored] = await outbox.listForTask(delivery.taskId);
      expect(stored).toEqual({
        ...delivery,
        status: 'pending',
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        deliveredAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        taskDeleted: false,
        history: [],
        updatedAt: T0,
      });
      expect(stored.payload).toBe(delivery.payload);
      expect(await outbox.listForTask(randomUUID())).toEqual([]);
    });

    it('lists a task deliveries oldest first', async () => {
      const taskId = randomUUID();
      const events: TaskEventType[] = ['task.created', 'task.progress', 'task.completed'];
      for (const [i, event] of events.entries()) {
        await outbox.enqueue(newDelivery({ taskId, event, createdAt: T0 + i }));
      }
      expect((await outbox.listForTask(taskId)).map((d) => d.event)).toEqual(events);
    });

    it('enqueues a delivery that failed at once, never to be claimed', async () => {
      const delivery = newDelivery({ failedWith: 'webhooks are disabled' });
      await outbox.enqueue(delivery);
      expect(await outbox.claimDue(T0 + 1_000_000, 'w1', LEASE, 10)).toEqual([]);
      const [stored] = await outbox.listForTask(delivery.taskId);
      expect(stored).toMatchObject({ status: 'failed', lastError: 'webhooks are disabled', nextAttemptAt: null });
    });

    it('claims due deliveries only, oldest due first, up to the limit, and leases them', async () => {
      const later = newDelivery({ nextAttemptAt: T0 + 5 });
      const first = newDelivery({ nextAttemptAt: T0 - 5 });
      const notYet = newDelivery({ nextAttemptAt: T0 + 1_000 });
      for (const d of [later, first, notYet]) await outbox.enqueue(d);
      const claimed = await outbox.claimDue(T0 + 10, 'w1', LEASE, 10);
      expect(claimed.map((d) => d.id)).toEqual([first.id, later.id]);
      expect(claimed[0]).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: T0 + 10 + LEASE, payload: first.payload });
      // Leased: nobody else gets them until the lease expires.
      expect(await outbox.claimDue(T0 + 10, 'w2', LEASE, 10)).toEqual([]);
      // Expired leases are free again (and the third one is due by now).
      const again = await outbox.claimDue(T0 + 10 + LEASE, 'w2', LEASE, 10);
      expect(again.map((d) => d.id)).toEqual([first.id, later.id, notYet.id]);
      expect(await outbox.claimDue(T0 + 10, 'w3', LEASE, 0)).toEqual([]);
      const limited = newDelivery();
      await outbox.enqueue(limited);
      expect(await outbox.claimDue(T0 + 10, 'w3', LEASE, 1)).toHaveLength(1);
    });

    it('gives each of many concurrent claims distinct deliveries', async () => {
      const deliveries = Array.from({ length: 12 }, () => newDelivery());
      for (const d of deliveries) await outbox.enqueue(d);
      const claimers = [handle.outbox, handle.other ?? handle.outbox];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => claimers[i % 2].claimDue(T0, `w${i}`, LEASE, 4)),
      );
      const ids = results.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(deliveries.map((d) => d.id).sort());
    });

    it('lets one of two claimants win a single delivery', async () => {
      const delivery = newDelivery();
      await outbox.enqueue(delivery);
      const other = handle.other ?? handle.outbox;
      const [a, b] = await Promise.all([outbox.claimDue(T0, 'w1', LEASE, 1), other.claimDue(T0, 'w2', LEASE, 1)]);
      expect(a.length + b.length).toBe(1);
    });

    it('records a failed attempt with its retry time, then a delivery, keeping the log', async () => {
      const delivery = newDelivery();
      await outbox.enqueue(delivery);
      await outbox.claimDue(T0, 'w1', LEASE, 1);
      const first = attempt(1, 500, 'HTTP 500');
      expect(
        await outbox.markResult(delivery.id, 'w1', {
          attempt: first,
          outcome: { status: 'pending', nextAttemptAt: T0 + 1_000 },
          now: T0 + 20,
        }),
      ).toBe(true);
      let [stored] = await outbox.listForTask(delivery.taskId);
      expect(stored).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
        nextAttemptAt: T0 + 1_000,
        leaseOwner: null,
        leaseExpiresAt: null,
        history: [first],
        updatedAt: T0 + 20,
      });
      // Not due before its retry time, due after (the lease was freed).
      expect(await outbox.claimDue(T0 + 999, 'w2', LEASE, 1)).toEqual([]);
      const [claimed] = await outbox.claimDue(T0 + 1_000, 'w2', LEASE, 1);
      expect(claimed.attempts).toBe(1);
      const second = attempt(2, 200);
      expect(
        await outbox.markResult(delivery.id, 'w2', {
          attempt: second,
          outcome: { status: 'delivered' },
          now: T0 + 1_050,
        }),
      ).toBe(true);
      [stored] = await outbox.listForTask(delivery.taskId);
      expect(stored).toMatchObject({
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 200,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: T0 + 1_050,
        history: [first, second],
      });
      expect(await outbox.claimDue(T0 + 1_000_000, 'w3', LEASE, 10)).toEqual([]);
    });

    it('records exhausted and failed deliveries, which are never claimed again', async () => {
      const exhausted = newDelivery();
      const failed = newDelivery();
      await outbox.enqueue(exhausted);
      await outbox.enqueue(failed);
      await outbox.claimDue(T0, 'w1', LEASE, 2);
      await outbox.markResult(exhausted.id, 'w1', {
        attempt: attempt(1, null, 'timed out'),
        outcome: { status: 'exhausted' },
        now: T0 + 1,
      });
      await outbox.markResult(failed.id, 'w1', {
        attempt: attempt(1, null, 'target refused'),
        outcome: { status: 'failed' },
        now: T0 + 1,
      });
      expect((await outbox.listForTask(exhausted.taskId))[0]).toMatchObject({
        status: 'exhausted',
        lastError: 'timed out',
        nextAttemptAt: null,
      });
      expect((await outbox.listForTask(failed.taskId))[0]).toMatchObject({ status: 'failed', attempts: 1 });
      expect(await outbox.claimDue(T0 + 1_000_000, 'w2', LEASE, 10)).toEqual([]);
    });

    it('refuses the result of a process that lost its lease', async () => {
      const delivery = newDelivery();
      await outbox.enqueue(delivery);
      await outbox.claimDue(T0, 'w1', LEASE, 1);
      // w1 is too slow: its lease expires and w2 takes over.
      await outbox.claimDue(T0 + LEASE, 'w2', LEASE, 1);
      const result = { attempt: attempt(1, 200), outcome: { status: 'delivered' as const }, now: T0 + LEASE + 1 };
      expect(await outbox.markResult(delivery.id, 'w1', result)).toBe(false);
      expect((await outbox.listForTask(delivery.taskId))[0]).toMatchObject({ status: 'pending', leaseOwner: 'w2' });
      expect(await outbox.markResult(delivery.id, 'w2', result)).toBe(true);
      expect(await outbox.markResult(delivery.id, 'w2', result)).toBe(false);
      expect(await outbox.markResult(randomUUID(), 'w2', result)).toBe(false);
    });

    it('releases a lease without counting an attempt, for its holder only', async () => {
      const delivery = newDelivery();
      await outbox.enqueue(delivery);
      await outbox.claimDue(T0, 'w1', LEASE, 1);
      await outbox.release(delivery.id, 'w2');
      expect(await outbox.claimDue(T0, 'w2', LEASE, 1)).toEqual([]);
      await outbox.release(delivery.id, 'w1');
      const [claimed] = await outbox.claimDue(T0, 'w2', LEASE, 1);
      expect(claimed).toMatchObject({ id: delivery.id, attempts: 0, leaseOwner: 'w2' });
    });
  });
}
