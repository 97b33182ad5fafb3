import { Compensate, Step, Task, type StepContext } from '../definition';
import { createEngineFixture } from './testing/engine-fixture';

/** a, b (no compensation), c, then d which fails; every step but b can be undone. */
@Task({ name: 'saga' })
class SagaTask {
  readonly log: string[] = [];
  readonly compensationOutputs: Record<string, unknown> = {};
  constructor(private readonly options: { failingCompensation?: string; failAt?: 'a' | 'd' } = {}) {}

  @Step({ order: 1 })
  a() {
    this.log.push('run a');
    if (this.options.failAt === 'a') throw new Error('a broke');
    return { created: 'a-resource' };
  }

  @Step({ order: 2 })
  b() {
    this.log.push('run b');
    return 'b-out';
  }

  @Step({ order: 3 })
  c() {
    this.log.push('run c');
    return { created: 'c-resource' };
  }

  @Step({ order: 4, retry: { attempts: 2, delayMs: 10 } })
  d() {
    this.log.push('run d');
    if (this.options.failAt !== undefined && this.options.failAt !== 'd') return 'd-out';
    throw new Error('d broke');
  }

  @Compensate('a')
  undoA(ctx: StepContext) {
    return this.undo('a', ctx);
  }

  @Compensate('c')
  undoC(ctx: StepContext) {
    return this.undo('c', ctx);
  }

  @Compensate('d')
  undoD(ctx: StepContext) {
    return this.undo('d', ctx);
  }

  private undo(step: string, ctx: StepContext) {
    this.log.push(`undo ${step}`);
    this.compensationOutputs[step] = ctx.outputs[step];
    expect(ctx.step).toBe(step);
    if (this.options.failingCompensation === step) throw new Error(`cannot undo ${step}`);
  }
}

describe('compensation', () => {
  it('undoes finished steps in reverse order, only those that finished, and fails the task', async () => {
    const saga = new SagaTask({ failAt: 'd' });
    const f = createEngineFixture({ tasks: [saga] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('saga');
    await f.flush();
    await f.clock.advance(10); // d's second and last attempt
    const stored = await f.settle(task.id, 'failed');

    expect(saga.log).toEqual(['run a', 'run b', 'run c', 'run d', 'run d', 'undo c', 'undo a']);
    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({ step: 'd', message: 'd broke' });
    expect(stored.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'compensated'],
      ['b', 'completed'],
      ['c', 'compensated'],
      ['d', 'failed'],
    ]);
    // A compensation sees the output of the step it undoes.
    expect(saga.compensationOutputs).toEqual({ c: { created: 'c-resource' }, a: { created: 'a-resource' } });

    const events = (await f.store.listEvents(task.id)).map((e) =>
      e.type === 'task.step' ? `${e.step}:${e.stepStatus}` : e.type,
    );
    expect(events.slice(events.indexOf('d:failed'))).toEqual([
      'd:failed',
      'task.compensating',
      'c:compensated',
      'a:compensated',
      'task.failed',
    ]);
  });

  it('fails without compensating anything when the first step fails', async () => {
    const saga = new SagaTask({ failAt: 'a' });
    const f = createEngineFixture({ tasks: [saga] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('saga');
    const stored = await f.settle(task.id, 'failed');
    expect(saga.log).toEqual(['run a']);
    expect(stored.status).toBe('failed');
    expect(stored.steps.map((s) => s.status)).toEqual(['failed', 'pending', 'pending', 'pending']);
    expect((await f.store.listEvents(task.id)).map((e) => e.type)).not.toContain('task.compensating');
  });

  it('records a compensation that throws and still runs the others', async () => {
    const saga = new SagaTask({ failAt: 'd', failingCompensation: 'c' });
    const f = createEngineFixture({ tasks: [saga] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('saga');
    await f.flush();
    await f.clock.advance(10);
    const stored = await f.settle(task.id, 'failed');

    expect(saga.log.filter((l) => l.startsWith('undo'))).toEqual(['undo c', 'undo a']);
    expect(stored.status).toBe('failed');
    // The task's error stays the step failure that caused the rollback.
    expect(stored.error).toMatchObject({ step: 'd', message: 'd broke' });
    const [a, , c] = stored.steps;
    expect(a.status).toBe('compensated');
    expect(c.status).toBe('failed');
    expect(c.error).toMatchObject({ step: 'c', message: 'cannot undo c' });
    expect(stored.message).toContain('compensation failed');
    expect(stored.message).toContain('cannot undo c');
  });
});
