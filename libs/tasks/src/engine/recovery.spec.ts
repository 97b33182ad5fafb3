import { ManualClock, MemoryTaskQueue, MemoryTaskStore } from '../adapters/memory';
import { Step, Task, type StepContext } from '../definition';
import type { Dispatch } from '../ports';
import { LeaseLostError, ShutdownError } from './step-errors';
import { createEngineFixture, deferred, type EngineFixture } from './testing/engine-fixture';

type Behaviour = (ctx: StepContext) => unknown;

/** Shared between the "processes" of a test, to count invocations across them. */
interface Journal {
  first: string[];
  second: string[];
  signals: AbortSignal[];
}

@Task({ name: 'resumable' })
class ResumableTask {
  constructor(
    private readonly label: string,
    private readonly journal: Journal,
    private readonly second$: Behaviour = () => `second by ${this.label}`,
  ) {}

  @Step({ order: 1 })
  first() {
    this.journal.first.push(this.label);
    return { by: this.label };
  }

  @Step({ order: 2 })
  second(ctx: StepContext) {
    this.journal.second.push(this.label);
    this.journal.signals.push(ctx.signal);
    return this.second$(ctx);
  }
}

const journal = (): Journal => ({ first: [], second: [], signals: [] });
const honourSignal = (ctx: StepContext) =>
  new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));

/**
 * Two "processes" on one database. Each has its own clock, so a process whose
 * clock is never advanced is frozen: its heartbeats never fire, as if it died.
 */
function twoProcesses(
  a: ResumableTask,
  b: ResumableTask,
): { A: EngineFixture; B: EngineFixture; store: MemoryTaskStore } {
  const store = new MemoryTaskStore();
  const A = createEngineFixture({ tasks: [a], store, clock: new ManualClock(), settings: { workerId: 'worker-a' } });
  const B = createEngineFixture({
    tasks: [b],
    store,
    clock: new ManualClock(),
    settings: { workerId: 'worker-b' },
    idPrefix: 'b-task',
  });
  return { A, B, store };
}

describe('recovery', () => {
  it('resumes at the first unfinished step after a worker dies (lease expired, sweeper)', async () => {
    const j = journal();
    const gateA = deferred<string>();
    const { A, B, store } = twoProcesses(new ResumableTask('A', j, () => gateA.promise), new ResumableTask('B', j));
    const save = jest.spyOn(store, 'save');
    await A.engine.start(['worker']);
    const { task } = await A.submit('resumable');
    await A.flush();

    let stored = await store.get(task.id);
    expect(stored).toMatchObject({ status: 'running', leaseOwner: 'worker-a' });
    expect(stored!.steps.map((s) => s.status)).toEqual(['completed', 'running']);

    // Worker A dies here (its clock, and so its heartbeat, never moves again).
    await B.engine.worker.start(['worker']);
    await B.clock.advance(B.settings.leaseMs + 1);
    stored = await store.get(task.id);
    expect(stored).toMatchObject({ status: 'running', leaseOwner: 'worker-a' }); // nobody took it yet

    expect(await B.engine.sweeper.sweep()).toBe(1);
    const done = await B.settle(task.id, 'completed');
    expect(done.status).toBe('completed');
    expect(done.output).toBe('second by B');
    expect(done.steps[0].output).toEqual({ by: 'A' }); // the checkpoint, not a re-run
    expect(j.first).toEqual(['A']);
    expect(j.second).toEqual(['A', 'B']);
    expect(done.leaseOwner).toBeNull();

    // Worker A wakes up and finishes its step: it must not overwrite B's result.
    const before = await store.get(task.id);
    const callsBefore = save.mock.calls.length;
    gateA.resolve('second by A');
    await A.flush();
    const lateSaves = save.mock.calls.slice(callsBefore);
    expect(lateSaves.length).toBeGreaterThan(0);
    expect(lateSaves.every(([, workerId]) => workerId === 'worker-a')).toBe(true);
    for (const result of save.mock.results.slice(callsBefore)) expect(await result.value).toBe(false);
    expect(await store.get(task.id)).toEqual(before);
    expect(A.engine.worker.running()).toEqual([]);
    expect(A.logger.messages('warn').join('\n')).toMatch(/lease lost/);
    expect(j.second).toEqual(['A', 'B']);
  });

  it('a worker whose heartbeat finds its lease taken aborts its step and writes nothing', async () => {
    const j = journal();
    const gateB = deferred<string>();
    const { A, B, store } = twoProcesses(
      new ResumableTask('A', j, honourSignal),
      new ResumableTask('B', j, () => gateB.promise),
    );
    await A.engine.start(['worker']);
    const { task } = await A.submit('resumable');
    await A.flush();

    // A stalls (no heartbeat) long enough for B to take over.
    await B.engine.worker.start(['worker']);
    await B.clock.advance(A.settings.leaseMs + 1);
    await B.engine.sweeper.sweep();
    await B.flush();
    const takenOver = await store.get(task.id);
    expect(takenOver).toMatchObject({ status: 'running', leaseOwner: 'worker-b' });

    // A's next heartbeat learns it lost the lease.
    await A.clock.advance(A.settings.heartbeatMs);
    expect(j.signals[0].aborted).toBe(true);
    expect(j.signals[0].reason).toBeInstanceOf(LeaseLostError);
    expect(A.engine.worker.running()).toEqual([]);
    expect(await store.get(task.id)).toEqual(takenOver);

    gateB.resolve('second by B');
    const done = await B.settle(task.id, 'completed');
    expect(done.output).toBe('second by B');
    expect(j.first).toEqual(['A']);
  });

  it('lets only one of two claimants win, and the loser cannot save', async () => {
    const f = createEngineFixture({ tasks: [new ResumableTask('A', journal())] });
    const { task } = await f.submit('resumable'); // engine not started: nobody claims it
    const now = f.clock.now();

    const claims = await Promise.all([
      f.store.claim({ taskId: task.id, workerId: 'w1', leaseMs: 1000, now }),
      f.store.claim({ taskId: task.id, workerId: 'w2', leaseMs: 1000, now }),
    ]);
    const winners = claims.filter((c) => c !== null).map((c) => c.task);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const loserId = winner.leaseOwner === 'w1' ? 'w2' : 'w1';
    expect(winner).toMatchObject({ status: 'running', leaseExpiresAt: now + 1000 });
    expect(await f.store.claim({ taskId: task.id, workerId: loserId, leaseMs: 1000, now: now + 999 })).toBeNull();

    // The loser writing anyway is refused; the winner's write goes through.
    const forged = { ...winner, leaseOwner: loserId, message: 'forged' };
    expect(await f.store.save(forged, loserId)).toBe(false);
    expect(await f.store.save({ ...winner, message: 'real' }, winner.leaseOwner!)).toBe(true);
    expect((await f.store.get(task.id))?.message).toBe('real');

    // Once the lease expired, another claimant takes over and the old holder is locked out.
    const taken = await f.store.claim({ taskId: task.id, workerId: loserId, leaseMs: 1000, now: now + 1001 });
    expect(taken?.task.leaseOwner).toBe(loserId);
    expect(await f.store.save({ ...winner, message: 'stale' }, winner.leaseOwner!)).toBe(false);
    expect((await f.store.get(task.id))?.message).toBe('real');
    expect((await f.store.renewLease(task.id, winner.leaseOwner!, 5000, now)).held).toBe(false);
  });

  it('re-dispatches a task whose wake-up call was lost', async () => {
    const j = journal();
    const clock = new ManualClock();
    const queue = new MemoryTaskQueue(clock);
    const realDispatch = queue.dispatch.bind(queue);
    let drop = true;
    jest.spyOn(queue, 'dispatch').mockImplementation(async (message: Dispatch) => {
      if (drop) throw new Error('redis is down');
      return realDispatch(message);
    });
    const f = createEngineFixture({ tasks: [new ResumableTask('A', j)], clock, queue });
    await f.engine.start(['worker']);
    const { task } = await f.submit('resumable'); // accepted although the dispatch failed
    expect((await f.task(task.id)).status).toBe('pending');
    drop = false;

    await f.clock.advance(f.settings.pendingGraceMs - 1);
    expect(j.first).toEqual([]);
    await f.clock.advance(f.settings.sweepIntervalMs);
    expect((await f.settle(task.id, 'completed')).status).toBe('completed');
    expect(f.logger.messages('warn').join('\n')).toMatch(/redis is down/);
  });
});

describe('a process that does not know the task type', () => {
  it('gives the task back unchanged: still pending, no lease', async () => {
    const store = new MemoryTaskStore();
    const clock = new ManualClock();
    const api = createEngineFixture({ tasks: [new ResumableTask('A', journal())], store, clock });
    const { task } = await api.submit('resumable');
    const stranger = createEngineFixture({ store, clock, settings: { workerId: 'stranger' } });

    await stranger.engine.worker.handle(task.id, 'worker');
    const stored = await store.get(task.id);
    expect(stored).toMatchObject({ status: 'pending', leaseOwner: null, leaseExpiresAt: null });
  });
});

describe('graceful shutdown', () => {
  it('hands a running step back after the grace period, without spending an attempt', async () => {
    const j = journal();
    const f = createEngineFixture({
      tasks: [new ResumableTask('A', j, honourSignal)],
      settings: { shutdownGraceMs: 1000 },
    });
    await f.engine.start(['worker']);
    const { task } = await f.submit('resumable');
    await f.flush();
    expect((await f.task(task.id)).steps[1]).toMatchObject({ status: 'running', attempts: 1 });

    let stopped = false;
    const stopping = f.engine.stop().then(() => (stopped = true));
    await f.clock.advance(999);
    expect(stopped).toBe(false);
    expect(j.signals[0].aborted).toBe(false);
    await f.clock.advance(1);
    await stopping;

    expect(j.signals[0].reason).toBeInstanceOf(ShutdownError);
    const handedBack = await f.task(task.id);
    expect(handedBack).toMatchObject({ status: 'pending', leaseOwner: null, leaseExpiresAt: null, error: null });
    expect(handedBack.steps.map((s) => [s.status, s.attempts])).toEqual([
      ['completed', 1],
      ['pending', 0],
    ]);
    const types = (await f.store.listEvents(task.id)).map((e) => e.type);
    expect(types).not.toContain('task.failed');
    expect(types).not.toContain('task.compensating');

    // A new process on the same database finishes it.
    const g = createEngineFixture({
      tasks: [new ResumableTask('B', j)],
      store: f.store,
      clock: f.clock,
      settings: { workerId: 'worker-b' },
    });
    await g.engine.start(['worker']);
    await g.clock.advance(g.settings.pendingGraceMs + g.settings.sweepIntervalMs);
    const done = await g.settle(task.id, 'completed');
    expect(done.status).toBe('completed');
    expect(done.output).toBe('second by B');
    expect(done.steps[1].attempts).toBe(1);
    expect(j.first).toEqual(['A']);
    expect(j.second).toEqual(['A', 'B']);
    await g.engine.stop();
  });

  it('lets a step that ends within the grace period complete the task', async () => {
    const j = journal();
    const gate = deferred<string>();
    const f = createEngineFixture({
      tasks: [new ResumableTask('A', j, () => gate.promise)],
      settings: { shutdownGraceMs: 1000 },
    });
    await f.engine.start(['worker']);
    const { task } = await f.submit('resumable');
    await f.flush();

    const stopping = f.engine.stop();
    await f.clock.advance(500);
    gate.resolve('finished in time');
    await stopping;
    const stored = await f.task(task.id);
    expect(stored).toMatchObject({ status: 'completed', output: 'finished in time' });
    expect(j.signals[0].aborted).toBe(false);
  });
});
