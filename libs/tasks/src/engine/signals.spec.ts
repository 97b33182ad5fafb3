import { z } from 'zod';
import { Compensate, Step, Task, type StepContext } from '../definition';
import { TaskOperationError } from './operation-errors';
import { createEngineFixture, type EngineFixture } from './testing/engine-fixture';

const approval = z.object({ approved: z.boolean(), by: z.string() });

@Task({ name: 'approval' })
class ApprovalTask {
  readonly log: string[] = [];

  @Step({ order: 1 })
  prepare() {
    this.log.push('prepare');
    return 'prepared';
  }

  // The wait comes first in its step: the step runs again from here when woken.
  @Step({ order: 2, signals: { approved: approval } })
  async decide(ctx: StepContext<{ timeoutMs?: number }>) {
    const decision = await ctx.waitForSignal<z.infer<typeof approval>>('approved', {
      timeoutMs: ctx.input.timeoutMs,
    });
    this.log.push(`decided by ${decision.by}`);
    return decision;
  }

  @Compensate('prepare')
  undoPrepare() {
    this.log.push('undo prepare');
  }
}

describe('signals', () => {
  let f: EngineFixture;
  let task: ApprovalTask;

  beforeEach(async () => {
    task = new ApprovalTask();
    f = createEngineFixture({ tasks: [task] });
    await f.engine.start(['worker']);
  });

  it('suspends the step as waiting without a lease or a spent attempt, and a signal completes it', async () => {
    const { task: submitted } = await f.submit('approval');
    const waiting = await f.settle(submitted.id, 'waiting');
    expect(waiting).toMatchObject({ status: 'waiting', leaseOwner: null, waitingFor: 'signal:approved' });
    expect(waiting.steps.map((s) => [s.status, s.attempts])).toEqual([
      ['completed', 1],
      ['pending', 0],
    ]);
    expect((await f.store.listEvents(submitted.id)).map((e) => e.type)).toContain('task.waiting');

    await f.engine.signal(submitted.id, 'alice', 'approved', { approved: true, by: 'bob' });
    const done = await f.settle(submitted.id, 'completed');
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ approved: true, by: 'bob' });
    expect(done.waitingFor).toBeNull();
    expect(done.steps[1].attempts).toBe(1);
    // The step before the wait ran once; the waiting step once to its end.
    expect(task.log).toEqual(['prepare', 'decided by bob']);
    expect((await f.store.listEvents(submitted.id)).map((e) => e.type)).toContain('task.signalled');
  });

  it('keeps a signal sent before the step waits', async () => {
    const { task: submitted } = await f.submit('approval');
    await f.engine.signal(submitted.id, 'alice', 'approved', { approved: false, by: 'carol' });
    const done = await f.settle(submitted.id, 'completed');
    expect(done.output).toEqual({ approved: false, by: 'carol' });
    expect((await f.store.listEvents(submitted.id)).map((e) => e.type)).not.toContain('task.waiting');
  });

  it('fails the step with a SignalTimeoutError when the signal does not come in time, then compensates', async () => {
    const { task: submitted } = await f.submit('approval', { timeoutMs: 60_000 });
    await f.settle(submitted.id, 'waiting');
    await f.clock.advance(59_000);
    expect((await f.task(submitted.id)).status).toBe('waiting');
    await f.clock.advance(1_000);
    const failed = await f.settle(submitted.id, 'failed');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ name: 'SignalTimeoutError', code: 'SIGNAL_TIMEOUT', step: 'decide' });
    expect(task.log).toEqual(['prepare', 'undo prepare']);
  });

  it('the sweeper wakes a wait past its deadline whose wake-up was lost', async () => {
    const { task: submitted } = await f.submit('approval', { timeoutMs: 1_000 });
    await f.settle(submitted.id, 'waiting');
    await f.engine.stop(); // the delayed wake-up dies with the queue's timers
    const other = createEngineFixture({ tasks: [task], store: f.store, clock: f.clock, idPrefix: 'other' });
    await other.engine.start(['worker']);
    await f.clock.advance(1_000 + other.settings.pendingGraceMs + 1);
    expect((await f.task(submitted.id)).status).toBe('waiting');
    expect(await other.engine.sweeper.sweep()).toBeGreaterThanOrEqual(1);
    const failed = await other.settle(submitted.id, 'failed');
    expect(failed.error?.code).toBe('SIGNAL_TIMEOUT');
  });

  it('cancels a waiting task at once and compensates its finished steps', async () => {
    const { task: submitted } = await f.submit('approval');
    await f.settle(submitted.id, 'waiting');
    await f.engine.cancel(submitted.id, 'alice');
    const cancelled = await f.settle(submitted.id, 'cancelled');
    expect(cancelled.status).toBe('cancelled');
    expect(task.log).toEqual(['prepare', 'undo prepare']);
  });

  it('refuses an undeclared signal or an invalid payload (400), and a finished task (409)', async () => {
    const { task: submitted } = await f.submit('approval');
    await f.settle(submitted.id, 'waiting');
    const kind = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: TaskOperationError) => e.kind,
      );
    expect(await kind(f.engine.signal(submitted.id, 'alice', 'rejected', {}))).toBe('invalid_input');
    expect(await kind(f.engine.signal(submitted.id, 'alice', 'approved', { approved: 'yes' }))).toBe('invalid_input');
    expect(await kind(f.engine.signal(submitted.id, 'mallory', 'approved', { approved: true, by: 'm' }))).toBe(
      'not_found',
    );
    expect((await f.task(submitted.id)).status).toBe('waiting');
    await f.engine.signal(submitted.id, 'alice', 'approved', { approved: true, by: 'bob' });
    await f.settle(submitted.id, 'completed');
    expect(await kind(f.engine.signal(submitted.id, 'alice', 'approved', { approved: true, by: 'bob' }))).toBe(
      'conflict',
    );
  });
});
