import { randomUUID } from 'node:crypto';
import { TASK_STATUSES, TERMINAL_STATUSES, type StepRecord, type TaskEvent } from '../../model';
import type { ClaimRequest, DueCursor, DueTask, NewTask, TaskStore } from '../../ports';
import { describeSignalsContract } from './store-signals-contract';

/** A store under test and how to dispose of it. */
export interface StoreUnderTest {
  store: TaskStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

function step(name: string, order: number, overrides: Partial<StepRecord> = {}): StepRecord {
  const on = order === 1 ? 'api' : 'worker';
  const base = {
    name,
    order,
    on,
    status: 'pending',
    attempts: 0,
    abandoned: 0,
    progress: 0,
    output: null,
    error: null,
  } as const;
  return { ...base, startedAt: null, finishedAt: null, ...overrides };
}

/** A fresh pending task, due at T0, with two steps; ids are unique across runs. */
export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: randomUUID(),
    type: 'create-zip',
    queue: 'files',
    owner: 'alice',
    status: 'pending',
    placement: 'api',
    priority: 0,
    input: { files: [{ key: 'k/1', name: 'a.txt' }], outputName: 'out.zip' },
    output: null,
    resultFile: null,
    progress: 0,
    message: null,
    error: null,
    idempotencyKey: null,
    requestFingerprint: null,
    singletonKey: null,
    callbackUrl: null,
    cancelRequested: false,
    pauseRequested: false,
    deleteRequested: false,
    timeoutMs: null,
    waitingFor: null,
    parentId: null,
    runAt: T0,
    deadlineAt: null,
    createdAt: T0,
    updatedAt: T0,
    startedAt: null,
    finishedAt: null,
    steps: [step('acceptFiles', 1), step('createZipArchive', 2)],
    ...overrides,
  };
}

function event(taskId: string, overrides: Partial<TaskEvent> = {}): TaskEvent {
  const base = { taskId, owner: 'alice', type: 'task.progress', taskType: 'create-zip', status: 'running' } as const;
  return { ...base, progress: 0.5, at: T0, ...overrides };
}

export interface ContractOptions {
  /**
   * Titles of tests this store is known to fail. They run as `it.failing`, so
   * the suite stays green and turns red the day the store is fixed.
   */
  knownGaps?: string[];
}

/**
 * The semantics every TaskStore must share (MemoryTaskStore is the reference).
 * `make` returns an empty store (each test counts what it lists).
 */
export function describeTaskStoreContract(
  name: string,
  make: () => Promise<StoreUnderTest>,
  options: ContractOptions = {},
): void {
  const gaps = new Set(options.knownGaps ?? []);
  const contract = (title: string, fn: () => Promise<void>) => (gaps.has(title) ? it.failing : it)(title, fn);

  describe(`TaskStore contract: ${name}`, () => {
    let handle: StoreUnderTest;
    let store: TaskStore;
    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });
    afterEach(() => handle.close());

    const created = async (overrides: Partial<NewTask> = {}) => (await store.create(newTask(overrides))).task;
    /** The claimed task, or null. */
    const claim = async (request: ClaimRequest) => (await store.claim(request))?.task ?? null;
    const claimed = async (overrides: Partial<NewTask> = {}, workerId = 'w1', now = T0) => {
      const task = await created(overrides);
      const record = await claim({ taskId: task.id, workerId, leaseMs: LEASE, now });
      if (!record) throw new Error('fixture claim failed');
      return record;
    };
    const reload = async (id: string) => {
      const task = await store.get(id);
      if (!task) throw new Error(`task ${id} vanished`);
      return task;
    };

    describe('create, get, idempotency', () => {
      contract('stores a new task at version 1 with no lease, and reads it back equal', async () => {
        const { task, created: isNew } = await store.create(newTask());
        expect(isNew).toBe(true);
        expect(task).toMatchObject({ version: 1, leaseOwner: null, leaseExpiresAt: null, status: 'pending' });
        expect(await store.get(task.id)).toEqual(task);
        expect(await store.get(randomUUID())).toBeNull();
      });

      contract('round-trips JSON values, times and steps', async () => {
        const input = { nested: { list: [1, 'two', true, null], text: 'zip ✓ "quoted"' }, n: 3.25 };
        const steps = [
          step('acceptFiles', 1, { status: 'completed', attempts: 2, progress: 1, output: { keys: ['a', 'b'] } }),
          step('createZipArchive', 2, { status: 'failed', error: { name: 'Error', message: 'boom', code: 'X' } }),
        ];
        steps[0].startedAt = T0 + 1;
        steps[0].finishedAt = T0 + 2;
        const resultFile = { key: 'out/1.zip', name: 'out.zip', size: 12345, contentType: 'application/zip' };
        const fields = { input, output: { size: 1 }, resultFile, progress: 0.42, message: 'file 2/5', steps };
        const more = { error: { name: 'E', message: 'm', step: 'x' }, deadlineAt: T0 + 600_000, finishedAt: T0 + 9 };
        const task = await created({ ...fields, ...more, callbackUrl: 'https://example.test/hook', priority: 7 });
        expect(await reload(task.id)).toEqual(task);
        expect(task).toMatchObject({ ...fields, ...more });
      });

      contract('returns the existing task for the same owner and key, a new one for another owner', async () => {
        const first = await store.create(newTask({ idempotencyKey: 'k1' }));
        const again = await store.create(newTask({ idempotencyKey: 'k1', input: { other: true } }));
        expect(again.created).toBe(false);
        expect(again.task).toEqual(first.task);
        const otherOwner = await store.create(newTask({ idempotencyKey: 'k1', owner: 'bob' }));
        expect(otherOwner.created).toBe(true);
        expect(otherOwner.task.id).not.toBe(first.task.id);
        expect((await store.findByIdempotencyKey('alice', 'k1'))?.id).toBe(first.task.id);
        expect((await store.findByIdempotencyKey('bob', 'k1'))?.id).toBe(otherOwner.task.id);
        expect(await store.findByIdempotencyKey('alice', 'nope')).toBeNull();
      });

      contract("keeps the request fingerprint, and answers a twin's create with the first one's", async () => {
        const first = await store.create(newTask({ idempotencyKey: 'fp', requestFingerprint: 'a'.repeat(64) }));
        expect(first.task.requestFingerprint).toBe('a'.repeat(64));
        expect(await store.get(first.task.id)).toEqual(first.task);
        const twin = await store.create(newTask({ idempotencyKey: 'fp', requestFingerprint: 'b'.repeat(64) }));
        expect(twin).toEqual({ task: first.task, created: false });
      });

      contract('creates one task when the same key races', async () => {
        const results = await Promise.all([1, 2, 3].map(() => store.create(newTask({ idempotencyKey: 'race' }))));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
      });

      contract('createMany inserts every task with its steps and event, in order, and sets the seqs', async () => {
        const tasks = [newTask(), newTask({ idempotencyKey: 'many-1' }), newTask({ owner: 'bob', priority: 3 })];
        const events = tasks.map((t) => event(t.id, { type: 'task.created', owner: t.owner, status: 'pending' }));
        const created = await store.createMany(tasks.map((task, i) => ({ task, event: events[i] })));
        expect(created.map((t) => t.id)).toEqual(tasks.map((t) => t.id));
        for (const [i, task] of created.entries()) {
          expect(task).toMatchObject({ version: 1, leaseOwner: null, status: 'pending', steps: tasks[i].steps });
          expect(await store.get(task.id)).toEqual(task);
          expect(events[i].seq).toEqual(expect.any(Number));
          expect(await store.listEvents(task.id)).toEqual([events[i]]);
        }
        expect(await store.createMany([])).toEqual([]);
      });

      contract('createMany writes nothing when one task cannot be inserted', async () => {
        const taken = await created({ idempotencyKey: 'taken' });
        const batches = [
          [newTask(), newTask({ id: taken.id })],
          [newTask(), newTask({ idempotencyKey: 'taken' })],
          [newTask({ idempotencyKey: 'twice' }), newTask({ idempotencyKey: 'twice' })],
        ];
        for (const batch of batches) {
          const events = batch.map((t) => event(t.id, { type: 'task.created' }));
          await expect(store.createMany(batch.map((task, i) => ({ task, event: events[i] })))).rejects.toThrow();
          expect(await store.get(batch[0].id)).toBeNull();
          expect(await store.listEvents(batch[0].id)).toEqual([]);
        }
        expect((await store.list({ owner: 'alice', limit: 10 })).total).toBe(1);
      });

      contract(
        'answers a create with a singleton key an unfinished task of the type holds with that task',
        async () => {
          const first = await store.create(newTask({ singletonKey: 'nightly' }));
          expect(first.created).toBe(true);
          expect(first.task.singletonKey).toBe('nightly');
          expect(await store.get(first.task.id)).toEqual(first.task);
          for (const status of ['pending', 'running', 'paused', 'compensating'] as const) {
            await store.create(newTask({ singletonKey: status, status }));
            const twin = newTask({ singletonKey: status, owner: 'bob', input: { other: true } });
            const again = await store.create(twin, event(twin.id, { type: 'task.created' }));
            expect(again.created).toBe(false);
            expect(again.task).toMatchObject({ singletonKey: status, status, owner: 'alice' });
            expect(await store.get(twin.id)).toBeNull();
            expect(await store.listEvents(twin.id)).toEqual([]);
          }
          // Another type's key is another key.
          const otherType = await store.create(newTask({ singletonKey: 'nightly', type: 'send-mail' }));
          expect(otherType.created).toBe(true);
          expect((await store.create(newTask({ singletonKey: 'nightly' }))).task.id).toBe(first.task.id);
        },
      );

      contract('frees a singleton key once its task completes, fails or is cancelled', async () => {
        for (const status of ['completed', 'failed', 'cancelled'] as const) {
          const key = `free-${status}`;
          const task = await claimed({ singletonKey: key });
          Object.assign(task, { status, leaseOwner: null, finishedAt: T0 + 5, updatedAt: T0 + 5 });
          expect(await store.save(task, 'w1')).toBe(true);
          const next = await store.create(newTask({ singletonKey: key }));
          expect(next.created).toBe(true);
          expect(next.task.id).not.toBe(task.id);
          const again = await store.create(newTask({ singletonKey: key }));
          expect(again).toEqual({ task: next.task, created: false });
        }
        // Finished tasks never hold a key, however many there are.
        await created({ singletonKey: 'done', status: 'completed' });
        await created({ singletonKey: 'done', status: 'completed' });
        expect((await store.create(newTask({ singletonKey: 'done' }))).created).toBe(true);
        // Nor does a finished task's row meet the unfinished holder of its key.
        expect((await store.create(newTask({ singletonKey: 'done', status: 'cancelled' }))).created).toBe(true);
      });

      contract('creates one task when the same singleton key races', async () => {
        const results = await Promise.all(
          [1, 2, 3, 4].map((i) => store.create(newTask({ singletonKey: 'race', owner: `o${i}` }))),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
        expect((await store.list({ owner: undefined, limit: 10 })).total).toBe(1);
      });

      contract('createMany writes nothing when a singleton key is held or given twice', async () => {
        await created({ singletonKey: 'held' });
        const batches = [
          [newTask(), newTask({ singletonKey: 'held' })],
          [newTask({ singletonKey: 'twice' }), newTask({ singletonKey: 'twice' })],
        ];
        for (const batch of batches) {
          const events = batch.map((t) => event(t.id, { type: 'task.created' }));
          await expect(store.createMany(batch.map((task, i) => ({ task, event: events[i] })))).rejects.toThrow();
          expect(await store.get(batch[0].id)).toBeNull();
        }
        const distinct = [newTask({ singletonKey: 'a' }), newTask({ singletonKey: 'b' })];
        expect(await store.createMany(distinct.map((task) => ({ task })))).toHaveLength(2);
      });

      contract('allows any number of tasks without a key', async () => {
        await created();
        await created();
        expect((await store.list({ owner: 'alice', limit: 10 })).total).toBe(2);
      });
    });

    describe('claim', () => {
      contract('leases a due task: running, version bumped, steps included', async () => {
        const task = await created();
        const record = await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 + 5 });
        expect(record).toMatchObject({
          status: 'running',
          leaseOwner: 'w1',
          leaseExpiresAt: T0 + 5 + LEASE,
          version: 2,
        });
        expect(record?.updatedAt).toBe(T0 + 5);
        expect(record?.steps.map((s) => s.name)).toEqual(['acceptFiles', 'createZipArchive']);
        expect(await reload(task.id)).toEqual(record);
      });

      contract('refuses a second claimant while the lease lives, and lets it take over once expired', async () => {
        const task = await claimed();
        expect(await claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE - 1 })).toBeNull();
        const takeover = await claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE + 1 });
        expect(takeover).toMatchObject({ leaseOwner: 'w2', version: 3 });
      });

      contract('lets exactly one of two concurrent claimants win', async () => {
        const task = await created();
        const request = (workerId: string) => claim({ taskId: task.id, workerId, leaseMs: LEASE, now: T0 });
        const results = await Promise.all([request('w1'), request('w2'), request('w3')]);
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect((await reload(task.id)).leaseOwner).toBe(winners[0]?.leaseOwner);
      });

      contract('does not claim a task whose runAt is in the future, unless a cancel was requested', async () => {
        const task = await created({ runAt: T0 + 1000 });
        expect(await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 })).toBeNull();
        await store.setFlags(task.id, { cancelRequested: true });
        expect(await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 })).not.toBeNull();
      });

      contract('does not claim a paused task, unless a cancel was requested', async () => {
        const task = await created({ status: 'paused' });
        expect(await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 })).toBeNull();
        await store.setFlags(task.id, { cancelRequested: true });
        const record = await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 });
        expect(record?.status).toBe('running');
      });

      contract('never claims a terminal task, keeps compensating, and ignores unknown ids', async () => {
        for (const status of ['completed', 'failed', 'cancelled'] as const) {
          const task = await created({ status, cancelRequested: true });
          expect(await claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 })).toBeNull();
        }
        const compensating = await claimed({ status: 'compensating' });
        expect(compensating.status).toBe('compensating');
        expect(await claim({ taskId: randomUUID(), workerId: 'w1', leaseMs: LEASE, now: T0 })).toBeNull();
      });

      contract('hands out copies: changing a returned record changes nothing stored', async () => {
        const task = await claimed();
        task.status = 'failed';
        task.steps[0].status = 'failed';
        expect((await reload(task.id)).status).toBe('running');
        expect((await reload(task.id)).steps[0].status).toBe('pending');
      });
    });

    describe('save', () => {
      contract('writes the task and the named steps, and bumps the version on the passed object', async () => {
        const task = await claimed();
        Object.assign(task, { progress: 0.5, message: 'half', output: { ok: 1 }, updatedAt: T0 + 10 });
        Object.assign(task.steps[0], { status: 'completed', attempts: 1, output: { keys: ['x'] }, finishedAt: T0 + 9 });
        expect(await store.save(task, 'w1', { steps: ['acceptFiles'] })).toBe(true);
        expect(task.version).toBe(3);
        expect(await reload(task.id)).toEqual(task);
        expect(await store.save(task, 'w1')).toBe(true);
        expect((await reload(task.id)).version).toBe(4);
      });

      contract('refuses a worker that lost its lease, and changes nothing', async () => {
        const lost = await claimed();
        const winner = await claim({ taskId: lost.id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE + 1 });
        const before = await reload(lost.id);
        Object.assign(lost, { status: 'completed', progress: 1 });
        lost.steps[1].status = 'completed';
        expect(await store.save(lost, 'w1', { steps: ['createZipArchive'] })).toBe(false);
        expect(await reload(lost.id)).toEqual(before);
        expect(before.leaseOwner).toBe(winner?.leaseOwner);
        expect(await store.save({ ...lost, id: randomUUID() }, 'w1')).toBe(false);
      });

      contract('appends the event given with the write, in the same write', async () => {
        const task = await claimed();
        Object.assign(task, { status: 'completed', progress: 1, updatedAt: T0 + 10 });
        const done = event(task.id, { type: 'task.completed', status: 'completed', progress: 1 });
        expect(await store.save(task, 'w1', { steps: ['acceptFiles'], events: [done] })).toBe(true);
        expect(done.seq).toEqual(expect.any(Number));
        expect(await store.listEvents(task.id)).toEqual([done]);
        expect(await store.save(task, 'w1', { events: [event(task.id, { type: 'task.progress' })] })).toBe(true);
        expect((await store.listEvents(task.id)).map((e) => e.type)).toEqual(['task.completed', 'task.progress']);
      });

      contract('appends no event when the lease is lost', async () => {
        const lost = await claimed();
        await claim({ taskId: lost.id, workerId: 'w2', leaseMs: LEASE, now: T0 + LEASE + 1 });
        const late = event(lost.id, { type: 'task.completed', status: 'completed' });
        expect(
          await store.save({ ...lost, status: 'completed' }, 'w1', { steps: ['acceptFiles'], events: [late] }),
        ).toBe(false);
        expect(late.seq).toBeUndefined();
        expect(await store.listEvents(lost.id)).toEqual([]);
      });

      contract('never overwrites the flags, nor moves a held lease', async () => {
        const task = await claimed();
        await store.setFlags(task.id, { cancelRequested: true, pauseRequested: true });
        await store.renewLease(task.id, 'w1', 99_000, T0);
        Object.assign(task, { leaseExpiresAt: T0 + 1, cancelRequested: false, pauseRequested: false });
        expect(await store.save(task, 'w1')).toBe(true);
        const stored = await reload(task.id);
        expect(stored).toMatchObject({ cancelRequested: true, pauseRequested: true, leaseExpiresAt: T0 + 99_000 });
      });

      contract('releases the lease when leaseOwner is null', async () => {
        const task = await claimed();
        Object.assign(task, { status: 'pending', runAt: T0 + 500, leaseOwner: null, leaseExpiresAt: null });
        expect(await store.save(task, 'w1', { runAfterMs: 500 })).toBe(true);
        expect(await reload(task.id)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, status: 'pending' });
        expect(await store.save(task, 'w1')).toBe(false);
        expect(await claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + 500 })).not.toBeNull();
      });
    });

    describe('claim that starts the next step', () => {
      const request = (taskId: string, placement: 'api' | 'worker' = 'api', now = T0 + 5): ClaimRequest => ({
        taskId,
        workerId: 'w1',
        leaseMs: LEASE,
        now,
        start: { placement },
      });

      contract(
        'starts it in the claim: running, one more attempt, its event appended, the message cleared',
        async () => {
          const task = await created({ message: 'retrying acceptFiles in 10 ms', timeoutMs: 60_000 });
          const claimed = await store.claim(request(task.id));
          expect(claimed?.started).toMatchObject({
            taskId: task.id,
            owner: 'alice',
            taskType: 'create-zip',
            type: 'task.step',
            status: 'running',
            step: 'acceptFiles',
            stepStatus: 'running',
            at: T0 + 5,
          });
          expect(claimed?.started?.seq).toEqual(expect.any(Number));
          const stored = await reload(task.id);
          expect(claimed?.task).toEqual(stored);
          expect(stored).toMatchObject({
            status: 'running',
            message: null,
            startedAt: T0 + 5,
            deadlineAt: T0 + 5 + 60_000,
          });
          expect(stored.steps[0]).toMatchObject({ status: 'running', attempts: 1, startedAt: T0 + 5, error: null });
          expect(stored.steps[1]).toMatchObject({ status: 'pending', attempts: 0 });
          const events = await store.listEvents(task.id);
          expect(events.map((e) => [e.seq, e.type, e.step])).toEqual([
            [claimed?.started?.seq, 'task.step', 'acceptFiles'],
          ]);
        },
      );

      contract('starts the first unfinished step, and restarts one a dead worker left running', async () => {
        const steps = [
          { ...newTask().steps[0], status: 'completed' as const, attempts: 1 },
          { ...newTask().steps[1], status: 'running' as const, attempts: 2, error: { name: 'E', message: 'x' } },
        ];
        const task = await created({ steps, placement: 'worker', startedAt: T0 - 1000, deadlineAt: null });
        const claimed = await store.claim(request(task.id, 'worker'));
        expect(claimed?.started?.step).toBe('createZipArchive');
        expect(claimed?.task.startedAt).toBe(T0 - 1000);
        expect((await reload(task.id)).steps.map((s) => [s.status, s.attempts, s.error])).toEqual([
          ['completed', 1, null],
          ['running', 3, null],
        ]);
      });

      contract('only claims when the task is not plainly ready to run its next step here', async () => {
        const failed = [newTask().steps[0], newTask().steps[1]].map((s, i) =>
          i === 0 ? { ...s, status: 'failed' as const } : s,
        );
        const cases: Array<[string, Partial<NewTask>, 'api' | 'worker']> = [
          ['placed elsewhere', {}, 'worker'],
          ['cancel requested', { cancelRequested: true }, 'api'],
          ['pause requested', { pauseRequested: true }, 'api'],
          ['compensating', { status: 'compensating' }, 'api'],
          ['past its deadline', { startedAt: T0 - 10_000, deadlineAt: T0 }, 'api'],
          ['past its timeout on this first claim', { startedAt: T0 - 10_000, timeoutMs: 1_000 }, 'api'],
          ['its next step failed for good', { steps: failed }, 'api'],
        ];
        for (const [why, overrides, placement] of cases) {
          const task = await created({ message: 'kept', ...overrides });
          const claimed = await store.claim(request(task.id, placement));
          expect([why, claimed?.task.leaseOwner, claimed?.started]).toEqual([why, 'w1', null]);
          const stored = await reload(task.id);
          expect([why, stored.message, stored.steps.map((s) => s.attempts)]).toEqual([why, 'kept', [0, 0]]);
          expect(await store.listEvents(task.id)).toEqual([]);
        }
      });

      contract('a claim without `start` starts nothing', async () => {
        const task = await created();
        const claimed = await store.claim({ taskId: task.id, workerId: 'w1', leaseMs: LEASE, now: T0 });
        expect(claimed?.started).toBeNull();
        expect((await reload(task.id)).steps.map((s) => s.status)).toEqual(['pending', 'pending']);
      });
    });

    describe('renewLease and setFlags', () => {
      contract('extends a held lease and reports the flags', async () => {
        const task = await claimed();
        expect(await store.renewLease(task.id, 'w1', 50_000, T0)).toEqual({
          held: true,
          cancelRequested: false,
          pauseRequested: false,
          deleteRequested: false,
        });
        expect((await reload(task.id)).leaseExpiresAt).toBe(T0 + 50_000);
        await store.setFlags(task.id, { pauseRequested: true });
        expect(await store.renewLease(task.id, 'w1', 60_000, T0)).toMatchObject({ held: true, pauseRequested: true });
        await store.setFlags(task.id, { cancelRequested: true, pauseRequested: false });
        const state = await store.renewLease(task.id, 'w1', 60_000, T0);
        expect(state).toEqual({ held: true, cancelRequested: true, pauseRequested: false, deleteRequested: false });
      });

      contract('reports a lease that is not held, and leaves it alone', async () => {
        const task = await claimed();
        expect(await store.renewLease(task.id, 'w2', 99_000, T0)).toEqual({
          held: false,
          cancelRequested: false,
          pauseRequested: false,
          deleteRequested: false,
        });
        expect((await reload(task.id)).leaseExpiresAt).toBe(T0 + LEASE);
        expect((await store.renewLease(randomUUID(), 'w1', 0, T0)).held).toBe(false);
      });

      contract('sets flags without bumping the version', async () => {
        const task = await created();
        await store.setFlags(task.id, { cancelRequested: true });
        expect(await reload(task.id)).toMatchObject({ cancelRequested: true, pauseRequested: false, version: 1 });
        await store.setFlags(task.id, { pauseRequested: true });
        expect(await reload(task.id)).toMatchObject({ cancelRequested: true, pauseRequested: true, version: 1 });
        await expect(store.setFlags(randomUUID(), { cancelRequested: true })).resolves.toBeUndefined();
      });
    });

    describe('requestStop and findDeleteRequested', () => {
      const cancelEvent = (taskId: string) => event(taskId, { type: 'task.cancel_requested', status: 'running' });

      contract('sets the cancel with its event in one write, once; a second request appends nothing', async () => {
        const task = await claimed();
        const first = cancelEvent(task.id);
        expect(await store.requestStop(task.id, { cancel: true, delete: false, event: first })).toEqual({
          cancelled: true,
        });
        expect(first.seq).toEqual(expect.any(Number));
        expect(await reload(task.id)).toMatchObject({ cancelRequested: true, deleteRequested: false, version: 2 });
        const again = cancelEvent(task.id);
        expect(await store.requestStop(task.id, { cancel: true, delete: true, event: again })).toEqual({
          cancelled: false,
        });
        expect(again.seq).toBeUndefined();
        expect(await reload(task.id)).toMatchObject({ cancelRequested: true, deleteRequested: true });
        expect((await store.listEvents(task.id)).map((e) => [e.seq, e.type])).toEqual([
          [first.seq, 'task.cancel_requested'],
        ]);
        expect(await store.renewLease(task.id, 'w1', LEASE, T0)).toMatchObject({ held: true, deleteRequested: true });
      });

      contract(
        'requests a delete without a cancel (a task that cannot be cancelled); a save never clears it',
        async () => {
          const task = await claimed();
          const unused = cancelEvent(task.id);
          expect(await store.requestStop(task.id, { cancel: false, delete: true, event: unused })).toEqual({
            cancelled: false,
          });
          expect(await reload(task.id)).toMatchObject({ deleteRequested: true, cancelRequested: false });
          expect(await store.listEvents(task.id)).toEqual([]);
          const held = await reload(task.id);
          expect(await store.save({ ...held, progress: 0.5, deleteRequested: false }, 'w1')).toBe(true);
          expect((await reload(task.id)).deleteRequested).toBe(true);
        },
      );

      contract('refuses for a terminal or unknown task; finds terminal tasks whose delete was requested', async () => {
        const done = await claimed();
        const running = await claimed();
        const stop = { cancel: true, delete: true };
        expect(await store.requestStop(done.id, stop)).toEqual({ cancelled: true });
        expect(await store.requestStop(running.id, stop)).toEqual({ cancelled: true });
        expect(await store.findDeleteRequested(10)).toEqual([]);
        const finished = { ...(await reload(done.id)), status: 'cancelled' as const, finishedAt: T0, leaseOwner: null };
        expect(await store.save(finished, 'w1')).toBe(true);
        expect(await store.findDeleteRequested(10)).toEqual([done.id]);
        expect(await store.requestStop(done.id, stop)).toBeNull();
        expect(await store.requestStop(randomUUID(), stop)).toBeNull();
        expect(await store.findDeleteRequested(0)).toHaveLength(0);
      });
    });

    describe('setPaused', () => {
      contract('pauses a pending task nobody holds at once, and reports the status before and after', async () => {
        const task = await created();
        expect(await store.setPaused(task.id, true, T0)).toEqual({ before: 'pending', after: 'paused' });
        expect(await reload(task.id)).toMatchObject({ status: 'paused', pauseRequested: true, version: 2 });
        // Asking again changes nothing more.
        expect(await store.setPaused(task.id, true, T0)).toEqual({ before: 'paused', after: 'paused' });
        expect((await reload(task.id)).version).toBe(2);
      });

      contract('only requests the pause of a held task: its runner pauses it', async () => {
        const task = await claimed();
        expect(await store.setPaused(task.id, true, T0 + 1)).toEqual({ before: 'running', after: 'running' });
        expect(await reload(task.id)).toMatchObject({ status: 'running', pauseRequested: true, version: task.version });
      });

      contract('resumes a paused task: pending, due now, request cleared', async () => {
        const task = await created({ runAt: T0 });
        await store.setPaused(task.id, true, T0);
        expect(await store.setPaused(task.id, false, T0 + 5_000)).toEqual({ before: 'paused', after: 'pending' });
        expect(await reload(task.id)).toMatchObject({ status: 'pending', pauseRequested: false, runAt: T0 + 5_000 });
      });

      contract(
        'a resume of a running task clears the request, and the runner pause write is then refused',
        async () => {
          const task = await claimed();
          await store.setPaused(task.id, true, T0 + 1);
          expect(await store.setPaused(task.id, false, T0 + 2)).toEqual({ before: 'running', after: 'running' });
          const pausing = { ...task, status: 'paused' as const, leaseOwner: null, leaseExpiresAt: null };
          expect(await store.save(pausing, 'w1', { whilePauseRequested: true })).toBe(false);
          expect(await reload(task.id)).toMatchObject({ status: 'running', leaseOwner: 'w1', pauseRequested: false });
          // While requested, the same write goes through.
          await store.setPaused(task.id, true, T0 + 3);
          expect(await store.save(pausing, 'w1', { whilePauseRequested: true })).toBe(true);
          expect(await reload(task.id)).toMatchObject({ status: 'paused', leaseOwner: null });
        },
      );

      contract('appends the paused or resumed event with the move, and none when the status did not move', async () => {
        const pending = await created();
        const held = await claimed();
        const ev = (taskId: string, type: 'task.paused' | 'task.resumed') => event(taskId, { type, status: 'paused' });
        const paused = ev(pending.id, 'task.paused');
        expect(await store.setPaused(pending.id, true, T0, paused)).toEqual({ before: 'pending', after: 'paused' });
        const again = ev(pending.id, 'task.paused');
        await store.setPaused(pending.id, true, T0, again);
        const resumed = ev(pending.id, 'task.resumed');
        expect(await store.setPaused(pending.id, false, T0 + 1, resumed)).toEqual({
          before: 'paused',
          after: 'pending',
        });
        expect([paused.seq, again.seq, resumed.seq]).toEqual([expect.any(Number), undefined, expect.any(Number)]);
        expect((await store.listEvents(pending.id)).map((e) => [e.seq, e.type])).toEqual([
          [paused.seq, 'task.paused'],
          [resumed.seq, 'task.resumed'],
        ]);
        // A held task's pause is only requested: its runner records the pause.
        expect(await store.setPaused(held.id, true, T0 + 1, ev(held.id, 'task.paused'))).toMatchObject({
          after: 'running',
        });
        expect(await store.listEvents(held.id)).toEqual([]);
      });

      contract('answers null for an unknown or a terminal task', async () => {
        expect(await store.setPaused(randomUUID(), true, T0)).toBeNull();
        const task = await claimed();
        expect(await store.save({ ...task, status: 'completed', leaseOwner: null }, 'w1')).toBe(true);
        expect(await store.setPaused(task.id, false, T0)).toBeNull();
      });
    });

    describe('findDue and findFinishedBefore', () => {
      const GRACE = 1000;
      const NOW = T0 + 10_000;

      const ids = (tasks: DueTask[]) => tasks.map((t) => t.id);
      const findDue = (limit: number, after?: DueCursor) =>
        store.findDue({ now: NOW, pendingGraceMs: GRACE, limit, after });

      contract('finds pending tasks past the grace, expired leases and unheld cancels', async () => {
        const due = await created({ runAt: NOW - GRACE - 1, queue: 'q1', placement: 'worker', priority: 3 });
        await created({ runAt: NOW - GRACE + 1 });
        await created({ runAt: NOW + 5000 });
        const expired = await claimed({ runAt: 0 }, 'w1', NOW - LEASE - 1);
        await claimed({}, 'w2', NOW);
        const cancelled = await created({ status: 'paused' });
        await store.setFlags(cancelled.id, { cancelRequested: true });
        const held = await claimed({}, 'w3', NOW);
        await store.setFlags(held.id, { cancelRequested: true });
        await created({ status: 'paused' });
        await created({ status: 'completed', runAt: 0, cancelRequested: true });
        const found = await findDue(100);
        expect(ids(found.expired)).toEqual([expired.id]);
        expect(ids(found.cancels)).toEqual([cancelled.id]);
        expect(found.pending).toEqual([{ id: due.id, queue: 'q1', placement: 'worker', priority: 3, version: 1 }]);
        expect(found.expired[0].version).toBe(2);
        expect(found.waiting).toEqual([]);
        expect(found.next).toEqual({ expired: null, cancels: null, pending: null, waiting: null });
      });

      contract(
        'serves an expired lease and a cancel ahead of a backlog of pending tasks, and covers the backlog over passes',
        async () => {
          // Queued before the others, more of them than a pass takes (runAt ties broken by id).
          const backlog: string[] = [];
          for (let i = 0; i < 520; i++) backlog.push((await created({ runAt: T0 - 60_000 + (i % 7) })).id);
          const expired = await claimed({ runAt: NOW - LEASE - 1 }, 'dead', NOW - LEASE - 1);
          const cancel = await created({ status: 'paused', runAt: NOW - GRACE });
          await store.setFlags(cancel.id, { cancelRequested: true });

          const first = await findDue(500);
          expect(ids(first.expired)).toEqual([expired.id]);
          expect(ids(first.cancels)).toEqual([cancel.id]);
          expect(first.pending).toHaveLength(500);
          expect(first.next.pending).not.toBeNull();
          const second = await findDue(500, first.next);
          expect(ids(second.expired)).toEqual([expired.id]); // still due: nobody claimed it
          expect(ids(second.cancels)).toEqual([cancel.id]);
          expect(second.pending).toHaveLength(20);
          expect(second.next.pending).toBeNull();
          expect([...ids(first.pending), ...ids(second.pending)].sort()).toEqual([...backlog].sort());
          // The scan reached its end: the next pass starts over.
          expect(ids((await findDue(500, second.next)).pending)).toEqual(ids(first.pending));
        },
      );

      contract('pages each reason after its own cursor, and starts it over at its end', async () => {
        const expired: string[] = [];
        for (let i = 0; i < 3; i++) expired.push((await claimed({ runAt: 0 }, `w${i}`, NOW - LEASE - 10 + i)).id);
        const cancels: string[] = [];
        for (let i = 0; i < 4; i++) {
          const task = await created({ status: 'paused' });
          await store.setFlags(task.id, { cancelRequested: true });
          cancels.push(task.id);
        }
        const pending: string[] = [];
        for (let i = 0; i < 5; i++) pending.push((await created({ runAt: T0 })).id);

        const pages = [];
        let after: DueCursor | undefined;
        for (let pass = 0; pass < 3; pass++) {
          const page = await findDue(2, after);
          pages.push({ expired: ids(page.expired), cancels: ids(page.cancels), pending: ids(page.pending) });
          after = page.next;
        }
        // Expired leases oldest expiry first; 3 of them: 2, 1, then from the start.
        expect(pages.map((p) => p.expired)).toEqual([expired.slice(0, 2), expired.slice(2), expired.slice(0, 2)]);
        // Exactly two pages of cancels: the second ends the scan, the third starts over.
        expect(pages.map((p) => p.cancels.length)).toEqual([2, 2, 2]);
        expect([...pages[0].cancels, ...pages[1].cancels].sort()).toEqual([...cancels].sort());
        expect(pages[2].cancels).toEqual(pages[0].cancels);
        expect(pages.map((p) => p.pending.length)).toEqual([2, 2, 1]);
        expect(pages.flatMap((p) => p.pending).sort()).toEqual([...pending].sort());
      });

      contract('finds finished tasks of a type that finished before a time', async () => {
        const old = await created({ status: 'completed', finishedAt: T0 });
        const failed = await created({ status: 'failed', finishedAt: T0 + 1 });
        await created({ status: 'cancelled', finishedAt: T0 + 100 });
        await created({ status: 'completed', finishedAt: T0, type: 'other' });
        await created({ status: 'running', finishedAt: T0 });
        expect((await store.findFinishedBefore('create-zip', T0 + 100, 10)).sort()).toEqual([old.id, failed.id].sort());
        expect(await store.findFinishedBefore('create-zip', T0 + 100, 1)).toHaveLength(1);
      });
    });

    describe('retryFailed', () => {
      const failedTask = () =>
        created({
          status: 'failed',
          placement: 'worker',
          progress: 0.5,
          error: { name: 'Error', code: 'STEP_FAILED', message: 'boom' },
          startedAt: T0,
          finishedAt: T0 + 10,
          steps: [
            step('acceptFiles', 1, { status: 'completed', attempts: 1, output: { kept: true }, finishedAt: T0 + 1 }),
            step('createZipArchive', 2, {
              status: 'failed',
              attempts: 3,
              error: { name: 'Error', code: 'X', message: 'boom' },
            }),
            step('notify', 3, { status: 'compensated', attempts: 1, output: { undone: true } }),
          ],
        });

      contract(
        're-opens a failed task from its unfinished steps, keeping completed outputs, with its event',
        async () => {
          const task = await failedTask();
          const retried = event(task.id, { type: 'task.retried', status: 'pending', progress: 0.5 });
          const ok = await store.retryFailed(task.id, {
            now: T0 + 100,
            placement: 'worker',
            progress: 0.5,
            event: retried,
          });
          expect(ok).toBe(true);
          expect(retried.seq).toEqual(expect.any(Number));
          const after = (await store.get(task.id))!;
          expect(after).toMatchObject({
            status: 'pending',
            placement: 'worker',
            error: null,
            finishedAt: null,
            startedAt: null,
            leaseOwner: null,
            version: task.version + 1,
          });
          expect(after.runAt).toBeGreaterThanOrEqual(T0 + 100);
          const steps = Object.fromEntries(after.steps.map((s) => [s.name, s]));
          expect(steps.acceptFiles).toMatchObject({ status: 'completed', attempts: 1, output: { kept: true } });
          expect(steps.createZipArchive).toMatchObject({ status: 'pending', attempts: 0, error: null, output: null });
          expect(steps.notify).toMatchObject({ status: 'pending', attempts: 0, output: null });
          expect((await store.listEvents(task.id)).map((e) => e.type)).toContain('task.retried');
        },
      );

      contract('moves only a failed task, so that of two retries one wins', async () => {
        const task = await failedTask();
        const request = { now: T0 + 100, placement: 'worker' as const, progress: 0 };
        const outcomes = await Promise.all([store.retryFailed(task.id, request), store.retryFailed(task.id, request)]);
        expect(outcomes.sort()).toEqual([false, true]);
        for (const status of ['completed', 'cancelled', 'running', 'pending'] as const) {
          const other = await created({ status });
          expect(await store.retryFailed(other.id, request)).toBe(false);
          expect((await store.get(other.id))!.status).toBe(status);
        }
        expect(await store.retryFailed(randomUUID(), request)).toBe(false);
      });

      contract('leaves a failed task failed while another unfinished task holds its singleton key', async () => {
        const failed = await created({ status: 'failed', singletonKey: 'one', finishedAt: T0 + 10 });
        const holder = await created({ singletonKey: 'one' });
        const request = { now: T0 + 100, placement: 'worker' as const, progress: 0 };
        expect(await store.retryFailed(failed.id, request)).toBe(false);
        expect((await reload(failed.id)).status).toBe('failed');
        // Another type's holder, or a finished one, is no obstacle.
        const other = await created({ status: 'failed', singletonKey: 'two', finishedAt: T0 + 10 });
        await created({ singletonKey: 'two', type: 'send-mail' });
        expect(await store.retryFailed(other.id, request)).toBe(true);
        await store.delete(holder.id);
        expect(await store.retryFailed(failed.id, request)).toBe(true);
        expect((await store.create(newTask({ singletonKey: 'one' }))).task.id).toBe(failed.id);
      });
    });

    describe('stats and findFinished', () => {
      contract('counts by type and status, per owner or for all, with the oldest pending task', async () => {
        await created({ status: 'pending', createdAt: T0 + 5 });
        await created({ status: 'pending', createdAt: T0 + 2 });
        await created({ status: 'completed', createdAt: T0 });
        await created({ status: 'failed', type: 'csv-import', createdAt: T0 });
        await created({ status: 'pending', owner: 'bob', createdAt: T0 - 100 });
        expect(await store.stats({ owner: 'alice' })).toEqual({
          counts: [
            { type: 'create-zip', status: 'completed', count: 1 },
            { type: 'create-zip', status: 'pending', count: 2 },
            { type: 'csv-import', status: 'failed', count: 1 },
          ],
          oldestPendingAt: T0 + 2,
        });
        const all = await store.stats({});
        expect(all.oldestPendingAt).toBe(T0 - 100);
        expect(all.counts.reduce((sum, c) => sum + c.count, 0)).toBe(5);
        expect(await store.stats({ owner: 'nobody' })).toEqual({ counts: [], oldestPendingAt: null });
      });

      contract("counts an owner's tasks that are not terminal, whatever their status", async () => {
        for (const status of TASK_STATUSES) await created({ status, type: 'any' });
        await created({ status: 'pending', owner: 'bob' });
        const active = TASK_STATUSES.filter((status) => !(TERMINAL_STATUSES as readonly string[]).includes(status));
        expect(await store.countActive!('alice')).toBe(active.length);
        expect(await store.countActive!('bob')).toBe(1);
        expect(await store.countActive!('nobody')).toBe(0);
        const running = await claimed({ owner: 'carol' });
        expect(await store.countActive!('carol')).toBe(1);
        expect(await store.save({ ...running, status: 'completed', finishedAt: T0 + 1 }, 'w1')).toBe(true);
        expect(await store.countActive!('carol')).toBe(0);
      });

      contract("creates within an owner's activeTasks quota, counted with the insert", async () => {
        if (!store.createWithinQuota) return;
        await created({ status: 'completed' });
        await created({ status: 'pending', owner: 'bob' });
        const first = await store.createWithinQuota(newTask(), 2);
        expect(first).toMatchObject({ created: true, task: { owner: 'alice' } });
        const second = await store.createWithinQuota(newTask({ idempotencyKey: 'k' }), 2);
        expect(second).toMatchObject({ created: true });
        expect(await store.createWithinQuota(newTask(), 2)).toEqual({ task: null, active: 2 });
        expect(await store.countActive!('alice')).toBe(2);
        // Under the quota, a key already taken answers its task, as `create` does.
        const replay = await store.createWithinQuota(newTask({ idempotencyKey: 'k' }), 3);
        expect(replay).toEqual({ task: await store.get(second.task!.id), created: false });
        expect(await store.countActive!('alice')).toBe(2);
      });

      contract("sums the sizes of an owner's result files, of the tasks still stored", async () => {
        const file = (size: number) => ({ key: `k/${size}`, name: 'out.zip', size, contentType: 'application/zip' });
        const big = await created({ status: 'completed', resultFile: file(5_000_000_000) });
        await created({ status: 'completed', resultFile: file(7) });
        await created({ status: 'pending' });
        await created({ status: 'completed', owner: 'bob', resultFile: file(100) });
        expect(await store.resultBytes!('alice')).toBe(5_000_000_007);
        expect(await store.resultBytes!('bob')).toBe(100);
        expect(await store.resultBytes!('nobody')).toBe(0);
        await store.delete(big.id);
        expect(await store.resultBytes!('alice')).toBe(7);
      });

      contract(
        'finds finished tasks by owner, type, status and time, oldest first, never unfinished ones',
        async () => {
          const first = await created({ status: 'completed', finishedAt: T0 });
          const second = await created({ status: 'failed', finishedAt: T0 + 1 });
          const third = await created({ status: 'cancelled', finishedAt: T0 + 2, type: 'other' });
          await created({ status: 'completed', finishedAt: T0, owner: 'bob' });
          await created({ status: 'running', finishedAt: T0 });
          await created({ status: 'pending' });
          const ids = async (query: Parameters<TaskStore['findFinished']>[0]) =>
            (await store.findFinished(query)).map((t) => t.id);
          expect(await store.findFinished({ owner: 'alice', limit: 10 })).toEqual([
            { id: first.id, finishedAt: T0 },
            { id: second.id, finishedAt: T0 + 1 },
            { id: third.id, finishedAt: T0 + 2 },
          ]);
          expect(await ids({ owner: 'alice', limit: 2 })).toEqual([first.id, second.id]);
          expect(await ids({ owner: 'alice', type: 'other', limit: 10 })).toEqual([third.id]);
          expect(await ids({ owner: 'alice', statuses: ['failed'], limit: 10 })).toEqual([second.id]);
          expect(await ids({ owner: 'alice', statuses: ['running'], limit: 10 })).toEqual([]);
          expect(await ids({ owner: 'alice', finishedBefore: T0 + 1, limit: 10 })).toEqual([first.id]);
          expect(await ids({ owner: 'alice', finishedAfter: T0 + 1, limit: 10 })).toEqual([second.id, third.id]);
          expect(await store.findFinished({ limit: 10 })).toHaveLength(4);
        },
      );

      contract('pages finished tasks after the last of a page, ties in finishedAt by id', async () => {
        const tasks = [];
        for (let i = 0; i < 5; i++)
          tasks.push(await created({ status: 'completed', finishedAt: T0 + Math.floor(i / 2) }));
        const order = tasks
          .map((t) => ({ id: t.id, finishedAt: t.finishedAt! }))
          .sort((a, b) => a.finishedAt - b.finishedAt || (a.id < b.id ? -1 : 1));
        const first = await store.findFinished({ owner: 'alice', limit: 2 });
        expect(first).toEqual(order.slice(0, 2));
        const second = await store.findFinished({ owner: 'alice', limit: 2, after: first[1] });
        expect(second).toEqual(order.slice(2, 4));
        expect(await store.findFinished({ owner: 'alice', limit: 2, after: second[1] })).toEqual(order.slice(4));
      });
    });

    describe('list', () => {
      contract('pages newest first with a total, scoped to the owner', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 25; i++) ids.push((await created({ createdAt: T0 + i * 1000 })).id);
        for (let i = 0; i < 3; i++) await created({ owner: 'bob', createdAt: T0 + i });
        const seen: string[] = [];
        let cursor: string | undefined;
        const sizes: number[] = [];
        do {
          const page = await store.list({ owner: 'alice', limit: 10, cursor });
          expect(page.total).toBe(25);
          sizes.push(page.items.length);
          seen.push(...page.items.map((t) => t.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(sizes).toEqual([10, 10, 5]);
        expect(seen).toEqual([...ids].reverse());
        expect((await store.list({ owner: 'bob', limit: 10 })).total).toBe(3);
      });

      contract(
        "lists every owner's tasks without an owner (an administrator's list), filters still apply",
        async () => {
          const mine = await created({ createdAt: T0 + 2 });
          const bobs = await created({ owner: 'bob', createdAt: T0 + 1 });
          await created({ owner: 'carol', type: 'report', createdAt: T0 });
          const first = await store.list({ owner: undefined, limit: 2 });
          expect(first.total).toBe(3);
          expect(first.items.map((t) => t.id)).toEqual([mine.id, bobs.id]);
          const rest = await store.list({ owner: undefined, limit: 2, cursor: first.nextCursor ?? undefined });
          expect(rest.items.map((t) => t.owner)).toEqual(['carol']);
          expect((await store.list({ owner: undefined, type: 'report', limit: 10 })).total).toBe(1);
        },
      );

      contract('breaks createdAt ties by id, so every task is listed once', async () => {
        for (let i = 0; i < 5; i++) await created({ createdAt: T0 });
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page: Awaited<ReturnType<TaskStore['list']>> = await store.list({ owner: 'alice', limit: 2, cursor });
          seen.push(...page.items.map((t) => t.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toHaveLength(5);
        expect(new Set(seen).size).toBe(5);
      });

      contract(
        'filters by type and status, returns full records, and treats a bad cursor as the first page',
        async () => {
          await created({ type: 'report', status: 'completed', createdAt: T0 + 1 });
          const report = await created({ type: 'report', createdAt: T0 + 2 });
          await created({ status: 'completed', createdAt: T0 + 3 });
          const byType = await store.list({ owner: 'alice', type: 'report', limit: 10 });
          expect(byType.total).toBe(2);
          const both = await store.list({ owner: 'alice', type: 'report', status: 'pending', limit: 10 });
          expect(both).toEqual({ items: [report], total: 1, nextCursor: null });
          expect((await store.list({ owner: 'alice', status: 'completed', limit: 10 })).total).toBe(2);
          const garbage = await store.list({ owner: 'alice', limit: 10, cursor: 'not-a-cursor' });
          expect(garbage.items).toHaveLength(3);
          // Cursors that decode but hold what no column takes (PostgreSQL refused them with an error).
          const id = randomUUID();
          for (const position of [
            { c: 1.5, i: id },
            { c: 1e300, i: id },
            { c: T0, i: "x' OR '1'='1" },
          ]) {
            const cursor = Buffer.from(JSON.stringify(position)).toString('base64url');
            expect((await store.list({ owner: 'alice', limit: 10, cursor })).items).toHaveLength(3);
          }
        },
      );
    });

    describe('events and delete', () => {
      contract('appends events with increasing seq and lists them in order, after a seq', async () => {
        const task = await created();
        const other = await created();
        const first = await store.appendEvent(event(task.id, { type: 'task.created', status: 'pending' }));
        await store.appendEvent(event(other.id));
        const full = { step: 'acceptFiles', stepStatus: 'completed', message: 'done' };
        const second = await store.appendEvent(event(task.id, { type: 'task.step', ...full, at: T0 + 1 }));
        expect(second.seq).toBeGreaterThan(first.seq ?? Infinity);
        expect(second).toMatchObject(full);
        const events = await store.listEvents(task.id);
        expect(events).toEqual([first, second]);
        expect(events[0]).not.toHaveProperty('step');
        expect(await store.listEvents(task.id, first.seq)).toEqual([second]);
        expect(await store.listEvents(task.id, second.seq)).toEqual([]);
      });

      contract('deletes the task, its steps and its events', async () => {
        const task = await created({ idempotencyKey: 'gone' });
        await store.appendEvent(event(task.id));
        await store.delete(task.id);
        expect(await store.get(task.id)).toBeNull();
        expect(await store.findByIdempotencyKey('alice', 'gone')).toBeNull();
        expect(await store.listEvents(task.id)).toEqual([]);
        // Same id again: no step rows were left behind to clash with.
        const again = await store.create(newTask({ id: task.id, steps: [step('only', 1)] }));
        expect((await reload(again.task.id)).steps.map((s) => s.name)).toEqual(['only']);
        await expect(store.delete(randomUUID())).resolves.toBeUndefined();
      });

      contract('keeps who asked for each event (the audit trail) through every write that appends one', async () => {
        const task = await created();
        const fresh = newTask();
        await store.create(fresh, event(fresh.id, { type: 'task.created', actor: 'alice' }));
        expect((await store.listEvents(fresh.id))[0]).toMatchObject({ type: 'task.created', actor: 'alice' });
        const scheduled = newTask();
        const [batch] = await store.createMany([
          { task: scheduled, event: event(scheduled.id, { type: 'task.created', actor: 'schedule:nightly' }) },
        ]);
        expect((await store.listEvents(batch.id))[0]).toMatchObject({ actor: 'schedule:nightly' });
        const paused = event(task.id, { type: 'task.paused', status: 'paused', actor: 'bob' });
        await store.setPaused(task.id, true, T0, paused);
        const cancel = event(task.id, { type: 'task.cancel_requested', status: 'paused', actor: 'carol' });
        await store.requestStop(task.id, { cancel: true, delete: false, event: cancel });
        await store.appendEvent(event(task.id, { type: 'task.downloaded', actor: 'dave', message: 'downloaded' }));
        await store.appendEvent(event(task.id, { type: 'task.progress' }));
        const log = await store.listEvents(task.id);
        expect(log.map((e) => [e.type, e.actor])).toEqual([
          ['task.paused', 'bob'],
          ['task.cancel_requested', 'carol'],
          ['task.downloaded', 'dave'],
          ['task.progress', undefined],
        ]);
        // No actor is no property at all, as appended.
        expect(log[3]).not.toHaveProperty('actor');
        expect(await store.listEvents(task.id, 0, 2)).toEqual(log.slice(0, 2));
        expect(await store.listEvents(task.id, log[1].seq, 1)).toEqual([log[2]]);
      });

      contract('keeps the trace context a task was created with; none is no property', async () => {
        const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
        const traced = await created({ traceparent, tracestate: 'vendor=abc' });
        expect(await reload(traced.id)).toMatchObject({ traceparent, tracestate: 'vendor=abc' });
        const [batch] = await store.createMany([{ task: newTask({ traceparent }) }]);
        expect((await reload(batch.id)).traceparent).toBe(traceparent);
        const claimedTask = await claim({ taskId: traced.id, workerId: 'w1', leaseMs: LEASE, now: T0 });
        expect(claimedTask).toMatchObject({ traceparent, tracestate: 'vendor=abc' });
        const plain = await reload((await created()).id);
        expect(plain).not.toHaveProperty('traceparent');
        expect(plain).not.toHaveProperty('tracestate');
      });

      contract('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describeSignalsContract(() => store, contract);
  });
}
