import { Compensate, Step, Task, type StepContext } from '../definition';
import { StepTimeoutError, TaskTimeoutError } from './step-errors';
import { createEngineFixture, deferred, type Deferred, type EngineFixture } from './testing/engine-fixture';

const never = () => new Promise<never>(() => undefined);

@Task({ name: 'slow-step' })
class SlowStepTask {
  readonly signals: AbortSignal[] = [];
  /** Attempts (1-based) that hang, ignoring their signal. */
  constructor(private readonly hangingAttempts: number[]) {}

  @Step({ order: 1, timeoutMs: 100, retry: { attempts: 2, backoff: 'fixed', delayMs: 50 } })
  async slow(ctx: StepContext) {
    this.signals.push(ctx.signal);
    if (this.hangingAttempts.includes(ctx.attempt)) await never();
    return `attempt ${ctx.attempt}`;
  }
}

@Task({ name: 'deadline', timeoutMs: 1000 })
class DeadlineTask {
  readonly log: string[] = [];
  readonly signals: AbortSignal[] = [];
  constructor(private readonly mode: 'hang' | 'fail') {}

  @Step({ order: 1 })
  prepare() {
    this.log.push('prepare');
    return 'prepared';
  }

  @Step({ order: 2, retry: { attempts: 3, backoff: 'fixed', delayMs: 5000 } })
  async work(ctx: StepContext) {
    this.log.push('work');
    this.signals.push(ctx.signal);
    if (this.mode === 'fail') throw new Error('work failed');
    // Honours the signal.
    await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  }

  @Compensate('prepare')
  unprepare() {
    this.log.push('undo prepare');
  }
}

/** Each attempt waits on its own gate, ignoring its signal, then does its side effect. */
@Task({ name: 'hung' })
class HungTask {
  inFlight = 0;
  maxInFlight = 0;
  sideEffects = 0;
  readonly gates: Deferred[] = [];

  @Step({ order: 1, timeoutMs: 100, retry: { attempts: 2, backoff: 'fixed', delayMs: 10, jitter: false } })
  async work() {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const gate = deferred();
    this.gates.push(gate);
    await gate.promise;
    this.sideEffects++;
    this.inFlight--;
  }
}

describe('timeouts', () => {
  let f: EngineFixture;

  it('times out one attempt of a step and retries it per its policy', async () => {
    const slow = new SlowStepTask([1]);
    f = createEngineFixture({ tasks: [slow], settings: { abortGraceMs: 20 } });
    await f.engine.start(['worker']);
    const { task } = await f.submit('slow-step');
    await f.flush();

    await f.clock.advance(99);
    expect((await f.task(task.id)).status).toBe('running');

    // Timed out, and it ignores its signal: the grace runs before anything is decided.
    await f.clock.advance(1);
    expect((await f.task(task.id)).status).toBe('running');
    await f.clock.advance(20);
    let stored = await f.task(task.id);
    expect(stored.status).toBe('pending');
    expect(stored.steps[0]).toMatchObject({ status: 'pending', attempts: 1, abandoned: 1 });
    expect(stored.steps[0].error).toMatchObject({ code: 'STEP_TIMEOUT', step: 'slow' });
    expect(slow.signals[0].reason).toBeInstanceOf(StepTimeoutError);
    expect(f.engine.worker.running()).toEqual([]);

    await f.clock.advance(50);
    stored = await f.settle(task.id, 'completed');
    expect(stored.status).toBe('completed');
    expect(stored.output).toBe('attempt 2');
    expect(stored.steps[0]).toMatchObject({ status: 'completed', attempts: 2, error: null });
  });

  it('fails with STEP_TIMEOUT when every attempt times out', async () => {
    const slow = new SlowStepTask([1, 2]);
    f = createEngineFixture({ tasks: [slow], settings: { abortGraceMs: 20 } });
    await f.engine.start(['worker']);
    const { task } = await f.submit('slow-step');
    await f.flush();
    await f.clock.advance(120);
    await f.clock.advance(50);
    await f.clock.advance(120);
    const stored = await f.settle(task.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({ code: 'STEP_TIMEOUT', step: 'slow', name: 'StepTimeoutError' });
    expect(stored.steps[0]).toMatchObject({ attempts: 2, abandoned: 2 });
    expect(slow.signals).toHaveLength(2);
  });

  it('never starts a retry beside a timed-out attempt that ignores its signal but ends within the grace', async () => {
    const hung = new HungTask();
    f = createEngineFixture({ tasks: [hung] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('hung');
    await f.flush();
    await f.clock.advance(100); // attempt 1 times out, and keeps running
    await f.clock.advance(10); // a retry would be due here
    await f.flush();
    expect(hung.gates).toHaveLength(1);
    hung.gates[0].resolve();
    const stored = await f.settle(task.id, 'completed');
    // Its work is done once: taken at its word, not retried.
    expect(stored.status).toBe('completed');
    expect(stored.steps[0]).toMatchObject({ status: 'completed', attempts: 1, abandoned: 0 });
    expect(hung).toMatchObject({ maxInFlight: 1, sideEffects: 1 });
  });

  it('fails the whole task with TASK_TIMEOUT at its deadline and compensates', async () => {
    const deadline = new DeadlineTask('hang');
    f = createEngineFixture({ tasks: [deadline] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('deadline');
    await f.flush();
    const started = await f.task(task.id);
    expect(started.deadlineAt).toBe(started.startedAt! + 1000);

    await f.clock.advance(999);
    expect((await f.task(task.id)).status).toBe('running');
    await f.clock.advance(1);
    const stored = await f.settle(task.id, 'failed');

    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({ code: 'TASK_TIMEOUT' });
    expect(stored.steps.map((s) => [s.name, s.status])).toEqual([
      ['prepare', 'compensated'],
      ['work', 'failed'],
    ]);
    expect(deadline.signals[0].reason).toBeInstanceOf(TaskTimeoutError);
    expect(deadline.log).toEqual(['prepare', 'work', 'undo prepare']);
    // A task timeout is final: the step's retry policy does not apply.
    await f.clock.advance(20_000);
    expect(deadline.log.filter((l) => l === 'work')).toHaveLength(1);
  });

  it('fails with TASK_TIMEOUT, without another attempt, when the deadline passes during a retry delay', async () => {
    const deadline = new DeadlineTask('fail');
    f = createEngineFixture({ tasks: [deadline] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('deadline');
    await f.flush();
    expect((await f.task(task.id)).status).toBe('pending');

    await f.clock.advance(5000);
    const stored = await f.settle(task.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({ code: 'TASK_TIMEOUT' });
    expect(deadline.log).toEqual(['prepare', 'work', 'undo prepare']);
  });
});
