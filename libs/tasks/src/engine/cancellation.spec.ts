import { Compensate, Step, Task, type StepContext } from '../definition';
import { TaskCancelledError } from './step-errors';
import { TaskOperationError } from './operation-errors';
import { createEngineFixture, deferred, type EngineFixture } from './testing/engine-fixture';

type Mode = 'honour' | 'ignore' | 'fail' | 'quick';

function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

@Task({ name: 'cancellable' })
class CancellableTask {
  readonly log: string[] = [];
  readonly signals: AbortSignal[] = [];
  readonly gate = deferred<string>();
  constructor(private readonly mode: (taskId: string) => Mode) {}

  @Step({ order: 1 })
  a(ctx: StepContext) {
    this.log.push(`a ${ctx.taskId}`);
    return 'A';
  }

  @Step({ order: 2, retry: { attempts: 3, backoff: 'fixed', delayMs: 1000 } })
  async b(ctx: StepContext) {
    this.log.push(`b ${ctx.taskId}`);
    this.signals.push(ctx.signal);
    switch (this.mode(ctx.taskId)) {
      case 'honour':
        return Promise.race([this.gate.promise, untilAborted(ctx.signal)]);
      case 'ignore':
        return this.gate.promise;
      case 'fail':
        throw new Error('b failed');
      case 'quick':
        return 'B';
    }
  }

  @Step({ order: 3 })
  c(ctx: StepContext) {
    this.log.push(`c ${ctx.taskId}`);
    return 'C';
  }

  @Compensate('a')
  undoA(ctx: StepContext) {
    this.log.push(`undo a ${ctx.taskId}`);
  }

  @Compensate('b')
  undoB(ctx: StepContext) {
    this.log.push(`undo b ${ctx.taskId}`);
  }
}

@Task({ name: 'uncancellable', cancellable: false })
class UncancellableTask {
  readonly gate = deferred();
  @Step({ order: 1 })
  async only() {
    await this.gate.promise;
    return 'done';
  }
}

async function rejection(promise: Promise<unknown>): Promise<TaskOperationError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskOperationError);
  return error as TaskOperationError;
}

async function started(
  mode: (taskId: string) => Mode,
  settings = {},
): Promise<{ f: EngineFixture; task: CancellableTask }> {
  const task = new CancellableTask(mode);
  const f = createEngineFixture({ tasks: [task, new UncancellableTask()], settings });
  await f.engine.start(['worker']);
  return { f, task };
}

describe('cancellation', () => {
  it('cancels a step that honours its signal at once and compensates the finished steps', async () => {
    const { f, task: saga } = await started(() => 'honour');
    const { task } = await f.submit('cancellable');
    await f.flush();
    expect((await f.task(task.id)).steps[1].status).toBe('running');

    const answer = await f.engine.cancel(task.id, 'alice');
    expect(answer.cancelRequested).toBe(true);
    // No time passes: cancellation must not wait for a heartbeat.
    const stored = await f.settle(task.id, 'cancelled');

    expect(stored.status).toBe('cancelled');
    expect(stored.leaseOwner).toBeNull();
    expect(stored.error).toMatchObject({ code: 'CANCELLED' });
    expect(stored.steps.map((s) => [s.name, s.status, s.abandoned])).toEqual([
      ['a', 'compensated', 0],
      ['b', 'failed', 0],
      ['c', 'pending', 0],
    ]);
    expect(stored.steps[1].error).toMatchObject({ code: 'CANCELLED', step: 'b' });
    // b gave up without doing its work: only a is undone.
    expect(saga.log).toEqual([`a ${task.id}`, `b ${task.id}`, `undo a ${task.id}`]);
    expect(saga.signals[0].aborted).toBe(true);
    expect(saga.signals[0].reason).toBeInstanceOf(TaskCancelledError);
    expect(f.engine.worker.running()).toEqual([]);
    const types = (await f.store.listEvents(task.id)).map((e) =>
      e.type === 'task.step' ? `${e.step}:${e.stepStatus}` : e.type,
    );
    expect(types.slice(types.indexOf('task.cancel_requested'))).toEqual([
      'task.cancel_requested',
      'b:failed',
      'task.compensating',
      'a:compensated',
      'task.cancelled',
    ]);
  });

  it('waits out the grace for a step that ignores its signal: one that finishes in time is done, and undone', async () => {
    const { f, task: saga } = await started(() => 'ignore');
    const { task } = await f.submit('cancellable');
    await f.flush();
    await f.engine.cancel(task.id, 'alice');
    await f.flush();
    // Nothing is decided while b may still finish.
    expect((await f.task(task.id)).status).toBe('running');
    await f.clock.advance(f.settings.abortGraceMs - 1);
    saga.gate.resolve('late');
    const stored = await f.settle(task.id, 'cancelled');
    expect(stored.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'compensated'],
      ['b', 'compensated'],
      ['c', 'pending'],
    ]);
    expect(stored.steps[1].output).toBe('late');
    expect(saga.log).toEqual([`a ${task.id}`, `b ${task.id}`, `undo b ${task.id}`, `undo a ${task.id}`]);
  });

  it('abandons a step that ignores its signal past the grace: compensated as possibly done, its slot kept busy', async () => {
    const { f, task: saga } = await started(() => 'ignore', { concurrency: 1 });
    const { task } = await f.submit('cancellable');
    await f.flush();
    await f.engine.cancel(task.id, 'alice');
    await f.clock.advance(f.settings.abortGraceMs);
    const stored = await f.settle(task.id, 'cancelled');
    expect(stored.steps.map((s) => [s.name, s.status, s.abandoned])).toEqual([
      ['a', 'compensated', 0],
      ['b', 'compensated', 1],
      ['c', 'pending', 0],
    ]);
    expect(saga.log).toEqual([`a ${task.id}`, `b ${task.id}`, `undo b ${task.id}`, `undo a ${task.id}`]);
    expect(f.logger.messages('warn').join('\n')).toMatch(/step "b" ignored its abort signal .* abandoned/);

    // The abandoned attempt still holds the only slot: the next task waits for it.
    const { task: next } = await f.submit('cancellable');
    await f.settle(next.id, 'running');
    expect(saga.log).not.toContain(`a ${next.id}`);
    // It ends late: that changes nothing recorded, and frees the slot.
    const before = await f.task(task.id);
    saga.gate.resolve('late');
    await f.settle(next.id, 'running');
    expect(saga.log).toContain(`a ${next.id}`);
    expect(await f.task(task.id)).toEqual(before);
    expect(saga.log).not.toContain(`c ${task.id}`);
  });

  it('refuses to cancel a terminal task with a conflict', async () => {
    const { f } = await started(() => 'quick');
    const { task } = await f.submit('cancellable');
    expect((await f.settle(task.id, 'completed')).status).toBe('completed');
    const error = await rejection(f.engine.cancel(task.id, 'alice'));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('completed');
    expect((await f.task(task.id)).status).toBe('completed');
  });

  it('refuses a second cancel once the task is cancelled', async () => {
    const { f } = await started(() => 'honour');
    const { task } = await f.submit('cancellable');
    await f.flush();
    await f.engine.cancel(task.id, 'alice');
    await f.settle(task.id, 'cancelled');
    expect((await rejection(f.engine.cancel(task.id, 'alice'))).kind).toBe('conflict');
  });

  it('cancels a pending task queued behind concurrency 1 without running its steps', async () => {
    const { f, task: saga } = await started((id) => (id === 'task-1' ? 'ignore' : 'quick'), { concurrency: 1 });
    const first = await f.submit('cancellable');
    await f.flush();
    const second = await f.submit('cancellable');
    await f.flush();
    expect((await f.task(second.task.id)).status).toBe('pending');

    await f.engine.cancel(second.task.id, 'alice');
    const cancelled = await f.settle(second.task.id, 'cancelled');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.steps.map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);
    expect(saga.log.filter((l) => l.endsWith(second.task.id))).toEqual([]);

    // The queued wake-up of the cancelled task is harmless once the slot frees.
    saga.gate.resolve('B');
    expect((await f.settle(first.task.id, 'completed')).status).toBe('completed');
    await f.flush();
    expect(saga.log.filter((l) => l.endsWith(second.task.id))).toEqual([]);
    expect((await f.task(second.task.id)).status).toBe('cancelled');
  });

  it('cancels a task waiting for a retry at once, compensating, and the retry never runs', async () => {
    const { f, task: saga } = await started(() => 'fail');
    const { task } = await f.submit('cancellable');
    await f.flush();
    expect((await f.task(task.id)).status).toBe('pending');

    await f.engine.cancel(task.id, 'alice');
    const stored = await f.settle(task.id, 'cancelled');
    expect(stored.status).toBe('cancelled');
    expect(stored.steps[0].status).toBe('compensated');
    await f.clock.advance(5000);
    expect(saga.log).toEqual([`a ${task.id}`, `b ${task.id}`, `undo a ${task.id}`]);
  });

  it('cancels a paused task', async () => {
    const { f, task: saga } = await started((id) => (id === 'task-1' ? 'ignore' : 'quick'), { concurrency: 1 });
    await f.submit('cancellable');
    await f.flush();
    const { task } = await f.submit('cancellable');
    expect((await f.engine.pause(task.id, 'alice')).status).toBe('paused');
    await f.engine.cancel(task.id, 'alice');
    expect((await f.settle(task.id, 'cancelled')).status).toBe('cancelled');
    expect(saga.log.filter((l) => l.endsWith(task.id))).toEqual([]);
  });

  it('refuses to cancel a task declared cancellable: false', async () => {
    const { f } = await started(() => 'quick');
    const { task } = await f.submit('uncancellable');
    await f.flush();
    const error = await rejection(f.engine.cancel(task.id, 'alice'));
    expect(error.kind).toBe('conflict');
    const stored = await f.task(task.id);
    expect(stored.status).toBe('running');
    expect(stored.cancelRequested).toBe(false);
  });

  it('a cancel requested in another process reaches the running step at its next heartbeat', async () => {
    const worker = new CancellableTask(() => 'honour');
    const w = createEngineFixture({ tasks: [worker], settings: { workerId: 'worker-a' } });
    await w.engine.start(['worker']);
    const { task } = await w.submit('cancellable');
    await w.flush();

    // An API process with its own (unconnected) event bus, on the same database and clock.
    const api = createEngineFixture({
      tasks: [new CancellableTask(() => 'quick')],
      store: w.store,
      clock: w.clock,
      settings: { workerId: 'api-1' },
    });
    await api.engine.cancel(task.id, 'alice');
    await api.flush();
    expect((await w.task(task.id)).status).toBe('running'); // the live lease is not the API's to break

    await w.clock.advance(w.settings.heartbeatMs);
    const stored = await w.settle(task.id, 'cancelled');
    expect(stored.status).toBe('cancelled');
    expect(stored.steps[0].status).toBe('compensated');
    expect(worker.signals[0].reason).toBeInstanceOf(TaskCancelledError);
  });
});
