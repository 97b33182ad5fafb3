import type { TypeLimits } from '../../model';
import type { Claimed, Held, LimitedClaimRequest, TaskStore } from '../../ports';
import { newTask, type StoreUnderTest } from './store-contract';

const T0 = 1_700_000_000_000;
const LEASE = 30_000;
const HOLD = 5_000;

/**
 * The claim under cluster-wide limits (`claimWithinLimits`, `wakeHeld`), the
 * same on every store. The race of two processes on PostgreSQL is proven in
 * `test/distributed/cluster-limits.spec.ts`.
 */
export function describeStoreLimitsContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`TaskStore limits contract: ${name}`, () => {
    let handle: StoreUnderTest;
    let store: TaskStore;
    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });
    afterEach(() => handle.close());

    const submit = async (type: string, owner = 'alice', at = T0) =>
      (await store.create(newTask({ type, owner, runAt: at, createdAt: at, updatedAt: at }))).task;
    const claim = (
      taskId: string,
      limits: Record<string, TypeLimits>,
      now = T0,
      workerId = 'w1',
      ownerMax?: number,
    ) => {
      const request: LimitedClaimRequest = {
        taskId,
        workerId,
        leaseMs: LEASE,
        now,
        types: ['plain', 'limited', 'rated'],
        limits,
        holdMs: HOLD,
        ownerMax,
      };
      return store.claimWithinLimits!(request);
    };
    const won = (result: Claimed | Held | null): Claimed => {
      if (!result || result.task === null) throw new Error(`expected a claim, got ${JSON.stringify(result)}`);
      return result;
    };
    const heldBy = (result: Claimed | Held | null): Held => {
      if (!result || result.task !== null) throw new Error(`expected a hold, got ${result?.task?.id ?? 'null'}`);
      return result;
    };

    it('claims a task of a type without limits by the plain claim, whatever limits the others have', async () => {
      const task = await submit('plain');
      const result = won(await claim(task.id, { limited: { max: 1 } }));
      expect(result.task).toMatchObject({ id: task.id, status: 'running', leaseOwner: 'w1' });
      expect(result.task.heldBack).toBeUndefined();
    });

    it('holds back a task over its type max: pending, pushed, reason recorded; a freed slot wakes it', async () => {
      const limits = { limited: { max: 1 } };
      const first = await submit('limited');
      const second = await submit('limited', 'bob');
      won(await claim(first.id, limits));
      const held = heldBy(await claim(second.id, limits, T0 + 10, 'w2'));
      expect(held.held).toEqual({ reason: 'concurrency', since: T0 + 10 });
      expect(held.retryAt).toBe(T0 + 10 + HOLD);
      const stored = await store.get(second.id);
      expect(stored).toMatchObject({ status: 'pending', leaseOwner: null, runAt: T0 + 10 + HOLD });
      expect(stored!.heldBack).toEqual({ reason: 'concurrency', since: T0 + 10 });
      expect(held.due).toMatchObject({ id: second.id, version: stored!.version });
      // Held again later: still held since the first time.
      expect(heldBy(await claim(second.id, limits, T0 + 10 + HOLD)).held.since).toBe(T0 + 10);
      // Not due before its new time, even once the slot is free.
      const freedAt = T0 + LEASE + 1;
      expect(await claim(second.id, limits, T0 + 20)).toBeNull();
      const woken = await store.wakeHeld!({ type: 'limited', owner: 'alice', now: freedAt, limit: 4 });
      expect(woken.map((t) => t.id)).toEqual([second.id]);
      // The first one's lease expired: the slot is free.
      const result = won(await claim(second.id, limits, freedAt, 'w2'));
      expect(result.task).toMatchObject({ status: 'running', leaseOwner: 'w2' });
      expect(result.task.heldBack).toBeUndefined();
      expect((await store.get(second.id))!.heldBack).toBeUndefined();
      expect(await store.wakeHeld!({ type: 'limited', owner: 'alice', now: freedAt, limit: 4 })).toEqual([]);
    });

    it("holds an owner's task over perOwner while another owner's runs; a freed slot wakes only its owner's", async () => {
      const limits = { limited: { perOwner: 1 } };
      const running = await submit('limited', 'alice');
      const waiting = await submit('limited', 'alice');
      const other = await submit('limited', 'bob');
      won(await claim(running.id, limits));
      expect(heldBy(await claim(waiting.id, limits)).held.reason).toBe('owner-concurrency');
      won(await claim(other.id, limits));
      expect(await store.wakeHeld!({ type: 'limited', owner: 'bob', now: T0 + 1, limit: 4 })).toEqual([]);
      const woken = await store.wakeHeld!({ type: 'limited', owner: 'alice', now: T0 + 1, limit: 4 });
      expect(woken.map((t) => t.id)).toEqual([waiting.id]);
      // Alice still runs one: held again.
      expect(heldBy(await claim(waiting.id, limits, T0 + 2)).held.reason).toBe('owner-concurrency');
    });

    it("holds an owner's task of any type past ownerMax (fairness.perOwner), counting every type; wakes it across types", async () => {
      const limits = { limited: { perOwner: 5 } };
      const plain = won(await claim((await submit('plain')).id, limits, T0, 'w1', 2)).task;
      won(await claim((await submit('limited')).id, limits, T0, 'w1', 2));
      // A third of alice's, of either type, is held; bob's runs.
      const waiting = await submit('plain');
      const held = heldBy(await claim(waiting.id, limits, T0 + 10, 'w2', 2));
      expect(held.held).toEqual({ reason: 'owner-concurrency', since: T0 + 10 });
      expect(held.retryAt).toBe(T0 + 10 + HOLD);
      expect(heldBy(await claim((await submit('limited')).id, limits, T0 + 10, 'w2', 2)).held.reason).toBe(
        'owner-concurrency',
      );
      won(await claim((await submit('plain', 'bob')).id, limits, T0 + 10, 'w2', 2));
      // A run of the limited type ending wakes alice's held task of its type; across types, of every type.
      const wake = (acrossTypes: boolean) =>
        store.wakeHeld!({ type: 'limited', owner: 'alice', now: T0 + 20, limit: 4, acrossTypes });
      expect(await wake(false)).toHaveLength(1);
      const woken = await wake(true);
      expect(woken).toHaveLength(2);
      expect(woken.map((t) => t.id)).toContain(waiting.id);
      expect(
        await store.wakeHeld!({ type: 'limited', owner: 'bob', now: T0 + 20, limit: 4, acrossTypes: true }),
      ).toEqual([]);
      // One of alice's ends: a slot for her.
      expect(await store.save({ ...plain, status: 'completed', leaseOwner: null, finishedAt: T0 + 30 }, 'w1')).toBe(
        true,
      );
      expect(won(await claim(waiting.id, limits, T0 + 30, 'w2', 2)).task).toMatchObject({ status: 'running' });
    });

    it('holds a claim over the rate window until its oldest claim leaves it', async () => {
      const limits = { rated: { rate: { max: 2, perMs: 1_000 } } };
      const tasks = [await submit('rated'), await submit('rated'), await submit('rated')];
      won(await claim(tasks[0].id, limits, T0));
      won(await claim(tasks[1].id, limits, T0 + 10));
      const held = heldBy(await claim(tasks[2].id, limits, T0 + 20));
      expect(held.held.reason).toBe('rate-limit');
      expect(held.retryAt).toBe(T0 + 1_000);
      expect((await store.get(tasks[2].id))!.runAt).toBe(T0 + 1_000);
      // The first claim left the window: one slot in it.
      won(await claim(tasks[2].id, limits, T0 + 1_000));
    });

    it('claims a requested cancel whatever the limits, and never holds a task it cannot claim', async () => {
      const limits = { limited: { max: 1 } };
      const first = await submit('limited');
      const second = await submit('limited');
      won(await claim(first.id, limits));
      // Leased by w1: not claimable, so not held either.
      expect(await claim(first.id, limits, T0 + 1, 'w2')).toBeNull();
      expect((await store.get(first.id))!.heldBack).toBeUndefined();
      await store.setFlags(second.id, { cancelRequested: true });
      expect(won(await claim(second.id, limits, T0 + 2)).task.leaseOwner).toBe('w1');
    });
  });
}
