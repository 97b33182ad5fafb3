import { MemoryTaskStore } from '../adapters/memory';
import { Compensate, Step, Task } from '../definition';
import type { TaskRecord } from '../model';
import type { TaskChange } from '../ports';
import { NonRetryableError } from './step-errors';
import { createEngineFixture } from './testing/engine-fixture';

@Task({ name: 'nonretry' })
class NonRetryTask {
  runsOfB = 0;
  undone = 0;

  @Step({ order: 1 })
  a() {
    return 'a';
  }

  @Step({ order: 2 })
  b() {
    this.runsOfB++;
    throw new NonRetryableError('card declined');
  }

  @Compensate('a')
  undoA() {
    this.undone++;
  }
}

/** Fails the next `failures` saves that carry `task.compensating` (a dropped connection, a failover). */
class FlakyStore extends MemoryTaskStore {
  failures = 0;
  override async save(task: TaskRecord, workerId: string, change?: TaskChange): Promise<boolean> {
    if (this.failures > 0 && change?.events?.some((e) => e.type === 'task.compensating')) {
      this.failures--;
      throw new Error('ECONNRESET');
    }
    return super.save(task, workerId, change);
  }
}

describe('a failing state write', () => {
  it('is tried again after a short backoff, and the run goes on', async () => {
    const task = new NonRetryTask();
    const store = new FlakyStore();
    store.failures = 2;
    const f = createEngineFixture({ tasks: [task], store });
    await f.engine.start(['worker']);
    const { task: submitted } = await f.submit('nonretry');
    await f.flush();
    await f.clock.advance(100);
    await f.clock.advance(400);
    const stored = await f.settle(submitted.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(stored.steps.map((s) => s.status)).toEqual(['compensated', 'failed']);
    expect(task).toMatchObject({ runsOfB: 1, undone: 1 });
    expect(f.logger.messages('warn').filter((m) => m.includes('state write failed'))).toHaveLength(2);
  });

  it('past its tries stops the run; the next run compensates and never runs the failed step again', async () => {
    const task = new NonRetryTask();
    const store = new FlakyStore();
    store.failures = 100;
    const f = createEngineFixture({ tasks: [task], store });
    await f.engine.start(['worker']);
    const { task: submitted } = await f.submit('nonretry');
    await f.flush();
    for (const delay of [100, 400, 1_000, 2_000]) await f.clock.advance(delay);
    // The failure of b was recorded first; the run could record nothing after it.
    const stuck = await f.task(submitted.id);
    expect(stuck.status).toBe('running');
    expect(stuck.steps.map((s) => s.status)).toEqual(['completed', 'failed']);
    expect(f.logger.messages('error').join('\n')).toMatch(/ECONNRESET/);
    store.failures = 0;
    // The lease expires; the sweeper hands the task to a new run.
    await f.clock.advance(f.settings.leaseMs + f.settings.sweepIntervalMs);
    const stored = await f.settle(submitted.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(stored.error).toMatchObject({ message: 'card declined', step: 'b' });
    expect(stored.steps.map((s) => s.status)).toEqual(['compensated', 'failed']);
    expect(task).toMatchObject({ runsOfB: 1, undone: 1 });
  });
});
