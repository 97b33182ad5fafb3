import { randomUUID } from 'node:crypto';
import type { TaskEvent, TaskRecord } from '../../model';
import type { NewTask, SuspendRequest, TaskStore } from '../../ports';
import { newTask } from './store-contract';

const T0 = 1_700_000_000_000;
const LEASE = 30_000;
const WAIT = 5_000;

type Contract = (title: string, fn: () => Promise<void>) => void;

/**
 * Waits and signals (MemoryTaskStore is the reference): a runner's
 * suspension, a signal's delivery and the wake-up it carries, a step taking
 * its signal, the claim and the sweeper's scan of a wait past its deadline.
 * Run inside `describeTaskStoreContract`, on its store.
 */
export function describeSignalsContract(store: () => TaskStore, contract: Contract): void {
  describe('waits and signals', () => {
    const reload = async (id: string): Promise<TaskRecord> => {
      const task = await store().get(id);
      if (!task) throw new Error(`task ${id} vanished`);
      return task;
    };
    const claimed = async (overrides: Partial<NewTask> = {}, workerId = 'w1', now = T0): Promise<TaskRecord> => {
      const { task } = await store().create(newTask(overrides));
      const claim = await store().claim({ taskId: task.id, workerId, leaseMs: LEASE, now });
      if (!claim) throw new Error('fixture claim failed');
      return claim.task;
    };
    const waitingEvent = (task: TaskRecord): TaskEvent => ({
      ...{ taskId: task.id, owner: task.owner, type: 'task.waiting', taskType: task.type },
      ...{ status: 'waiting', progress: 0, at: T0, step: 'createZipArchive' },
    });
    /** The runner's suspension of step 2 of a claimed task, waiting for `signal`, due after WAIT. */
    const suspend = (task: TaskRecord, signal = 'approved', workerId = 'w1') => {
      const waiting: TaskRecord = { ...task, runAt: T0 + WAIT, updatedAt: T0, message: 'waiting' };
      waiting.steps = task.steps.map((s) => (s.name === 'createZipArchive' ? { ...s, status: 'pending' } : s));
      const request: SuspendRequest = {
        ...{ waitingFor: `signal:${signal}`, step: 'createZipArchive', runAfterMs: WAIT },
        ...{ steps: ['createZipArchive'], events: [waitingEvent(task)] },
      };
      return { waiting, request, outcome: store().suspend(waiting, workerId, request) };
    };
    const signal = (name: string, payload: unknown, at = T0 + 100) => ({ name, payload, at });

    contract('suspends a held task as waiting: no lease, due at the deadline, with its steps and event', async () => {
      const task = await claimed();
      const { waiting, request, outcome } = suspend(task);
      expect(await outcome).toBe('waiting');
      expect(waiting.version).toBe(task.version + 1);
      expect(request.events[0].seq).toEqual(expect.any(Number));
      expect(await reload(task.id)).toMatchObject({
        ...{ status: 'waiting', waitingFor: 'signal:approved', leaseOwner: null, leaseExpiresAt: null },
        ...{ runAt: T0 + WAIT, message: 'waiting', version: task.version + 1 },
      });
      expect((await store().listEvents(task.id)).map((e) => e.type)).toEqual(['task.waiting']);
      // Not claimable before its deadline; claimable after, still saying what it waited for.
      expect(await store().claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + WAIT - 1 })).toBeNull();
      const late = await store().claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + WAIT });
      expect(late?.task).toMatchObject({ status: 'running', leaseOwner: 'w2', waitingFor: 'signal:approved' });
      // The holder's next write waits for nothing.
      expect(await store().save({ ...late!.task }, 'w2')).toBe(true);
      expect((await reload(task.id)).waitingFor).toBeNull();
    });

    contract('refuses a suspension by a worker that does not hold the lease', async () => {
      const task = await claimed();
      expect(await suspend(task, 'approved', 'w2').outcome).toBe('lost');
      expect(await reload(task.id)).toMatchObject({ status: 'running', leaseOwner: 'w1', waitingFor: null });
      expect(await store().listEvents(task.id)).toEqual([]);
    });

    contract('does not suspend when the signal came already: ready, nothing written, lease kept', async () => {
      const task = await claimed();
      expect(await store().deliverSignal(task.id, signal('approved', { ok: true }))).toEqual({
        woken: false,
        version: task.version,
      });
      expect(await suspend(task).outcome).toBe('ready');
      expect(await reload(task.id)).toMatchObject({ status: 'running', leaseOwner: 'w1', version: task.version });
      // Another signal's name is no reason not to wait.
      expect(await suspend(task, 'other').outcome).toBe('waiting');
    });

    contract('a signal wakes the task waiting for it in the same write: pending, due now', async () => {
      const task = await claimed();
      const { waiting, outcome } = suspend(task);
      await outcome;
      const ev: TaskEvent = { ...waitingEvent(task), type: 'task.signalled', status: 'waiting', message: 'x' };
      expect(await store().deliverSignal(task.id, signal('other', 1))).toEqual({
        woken: false,
        version: waiting.version,
      });
      expect((await reload(task.id)).status).toBe('waiting');
      const woken = await store().deliverSignal(task.id, { ...signal('approved', { by: 'bob' }, T0 + 200), event: ev });
      expect(woken).toEqual({ woken: true, version: waiting.version + 1 });
      expect(ev.seq).toEqual(expect.any(Number));
      expect(await reload(task.id)).toMatchObject({
        ...{ status: 'pending', waitingFor: null, runAt: T0 + 200, leaseOwner: null },
        version: waiting.version + 1,
      });
      expect(await store().claim({ taskId: task.id, workerId: 'w2', leaseMs: LEASE, now: T0 + 200 })).not.toBeNull();
      expect(await store().takeSignal(task.id, 'approved', 'createZipArchive')).toEqual({ payload: { by: 'bob' } });
    });

    contract('refuses a signal to an unknown or finished task, storing nothing', async () => {
      const { task } = await store().create(newTask({ status: 'completed', finishedAt: T0 }));
      expect(await store().deliverSignal(task.id, signal('approved', 1))).toBeNull();
      expect(await store().deliverSignal(randomUUID(), signal('approved', 1))).toBeNull();
      expect(await store().takeSignal(task.id, 'approved', 'createZipArchive')).toBeNull();
    });

    contract('a step takes the oldest signal of a name no other step took, and sees it again', async () => {
      const task = await claimed();
      for (const n of [1, 2]) await store().deliverSignal(task.id, signal('approved', { n }));
      expect(await store().takeSignal(task.id, 'approved', 'a')).toEqual({ payload: { n: 1 } });
      expect(await store().takeSignal(task.id, 'approved', 'a')).toEqual({ payload: { n: 1 } });
      expect(await store().takeSignal(task.id, 'approved', 'b')).toEqual({ payload: { n: 2 } });
      expect(await store().takeSignal(task.id, 'approved', 'c')).toBeNull();
      expect(await store().takeSignal(task.id, 'other', 'a')).toBeNull();
      // Taken signals do not stop a wait for the next one.
      expect(await suspend(task).outcome).toBe('waiting');
    });

    contract('the sweeper finds waits past their deadline by the grace, not before', async () => {
      const task = await claimed();
      await suspend(task).outcome;
      const due = (now: number) => store().findDue({ now, pendingGraceMs: 1_000, limit: 10 });
      expect((await due(T0 + WAIT + 999)).waiting).toEqual([]);
      const page = await due(T0 + WAIT + 1_000);
      expect(page.waiting.map((t) => t.id)).toEqual([task.id]);
      expect(page.pending).toEqual([]);
      expect(page.next.waiting).toBeNull();
    });

    /** The runner's suspension of a claimed parent, waiting for its children. */
    const suspendForChildren = (task: TaskRecord) =>
      store().suspend({ ...task, runAt: T0 + WAIT, updatedAt: T0 }, 'w1', {
        ...{ waitingFor: 'children', step: 'createZipArchive', runAfterMs: WAIT },
        ...{ steps: [], events: [] },
      });
    /** A child claimed by `worker`, then ended `status` by its holder's write. */
    const endChild = async (child: TaskRecord, worker: string, status: 'completed' | 'failed', at = T0 + 300) => {
      const claim = await store().claim({ taskId: child.id, workerId: worker, leaseMs: LEASE, now: T0 });
      const ended = { ...claim!.task, status, leaseOwner: null, leaseExpiresAt: null, finishedAt: at, updatedAt: at };
      expect(await store().save(ended, worker)).toBe(true);
    };

    contract("lists a task's children and wakes it when the last one ends, in that one's write", async () => {
      const parent = await claimed();
      const children: TaskRecord[] = [];
      for (let i = 0; i < 3; i++) {
        children.push((await store().create(newTask({ parentId: parent.id, createdAt: T0 + i, owner: 'alice' }))).task);
      }
      await store().create(newTask());
      expect((await store().findChildren(parent.id)).map((c) => [c.id, c.status])).toEqual(
        children.map((c) => [c.id, 'pending']),
      );
      expect(await suspendForChildren(parent)).toBe('waiting');
      expect(await reload(parent.id)).toMatchObject({ status: 'waiting', waitingFor: 'children', leaseOwner: null });
      await endChild(children[0], 'c0', 'completed');
      await endChild(children[1], 'c1', 'failed');
      expect((await reload(parent.id)).status).toBe('waiting');
      await endChild(children[2], 'c2', 'completed', T0 + 400);
      expect(await reload(parent.id)).toMatchObject({ status: 'pending', waitingFor: null, runAt: T0 + 400 });
      const listed = await store().findChildren(parent.id);
      expect(listed.map((c) => c.status)).toEqual(['completed', 'failed', 'completed']);
      expect(listed[0]).toMatchObject({ type: 'create-zip', output: null, error: null });
    });

    contract('does not suspend a task for its children when none is unfinished: ready', async () => {
      const parent = await claimed();
      expect(await suspendForChildren(parent)).toBe('ready');
      const { task: child } = await store().create(newTask({ parentId: parent.id }));
      expect(await suspendForChildren(parent)).toBe('waiting');
      await endChild(child, 'c0', 'completed');
      expect((await reload(parent.id)).status).toBe('pending');
    });

    contract('deletes a task with its signals', async () => {
      const task = await claimed();
      await store().deliverSignal(task.id, signal('approved', 1));
      await store().delete(task.id);
      await store().create(newTask({ id: task.id }));
      expect(await store().takeSignal(task.id, 'approved', 'createZipArchive')).toBeNull();
    });
  });
}
