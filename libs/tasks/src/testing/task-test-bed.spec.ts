import { Injectable } from '@nestjs/common';
import { Compensate, NonRetryableError, Step, Task, type StepContext } from '..';
import { TaskTestBed } from './task-test-bed';

@Injectable()
class Ledger {
  readonly entries: string[] = [];
  record(entry: string): void {
    this.entries.push(entry);
  }
}

@Task({ name: 'order', timeoutMs: 3_600_000 })
class OrderTask {
  constructor(private readonly ledger: Ledger) {}

  @Step({ order: 1 })
  reserve(ctx: StepContext<{ item: string }>) {
    this.ledger.record(`reserve ${ctx.input.item}`);
    return { reservation: 'r-1' };
  }

  @Step({ order: 2, retry: { attempts: 3, backoff: 'exponential', delayMs: 60_000 } })
  charge(ctx: StepContext<{ item: string }>) {
    this.ledger.record(`charge attempt ${ctx.attempt}`);
    return { charged: true };
  }

  @Step({ order: 3, timeoutMs: 1_000 })
  async ship(ctx: StepContext<{ item: string; slowShip?: boolean }>) {
    if (ctx.input.slowShip)
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    return { tracking: 't-1' };
  }

  @Compensate('reserve')
  release() {
    this.ledger.record('release');
  }

  @Compensate('charge')
  refund() {
    this.ledger.record('refund');
  }
}

describe('TaskTestBed', () => {
  let bed: TaskTestBed;
  let ledger: Ledger;

  beforeEach(async () => {
    bed = await TaskTestBed.create({ tasks: [OrderTask], providers: [Ledger] });
    ledger = bed.get(Ledger);
  });
  afterEach(() => bed.close());

  it('runs a task with its injected providers through every step', async () => {
    const run = await bed.run('order', { item: 'book' });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ tracking: 't-1' });
    expect(run.steps.reserve.output).toEqual({ reservation: 'r-1' });
    expect(Object.values(run.steps).map((s) => s.attempts)).toEqual([1, 1, 1]);
    expect(ledger.entries).toEqual(['reserve book', 'charge attempt 1']);
    expect(run.events.map((e) => e.type)).toEqual(expect.arrayContaining(['task.created', 'task.completed']));
    expect(run.compensations).toEqual([]);
  });

  it('passes the backoff of a retry at once on the fake clock', async () => {
    bed.failStep('order', 'charge', { attempts: [1, 2] });
    const before = { simulated: bed.clock.now(), real: Date.now() };
    const run = await bed.run('order', { item: 'book' });
    expect(run.status).toBe('completed');
    expect(run.steps.charge.attempts).toBe(3);
    expect(ledger.entries).toEqual(['reserve book', 'charge attempt 3']);
    expect(run.events.filter((e) => e.type === 'task.retrying')).toHaveLength(2);
    // Minutes of backoff went by on the fake clock, not on the real one.
    expect(bed.clock.now() - before.simulated).toBeGreaterThanOrEqual(60_000);
    expect(Date.now() - before.real).toBeLessThan(5_000);
  });

  it('shows the compensations in the order they ran when a step fails for good', async () => {
    bed.failStep('order', 'ship', { error: new NonRetryableError('address unknown') });
    const run = await bed.run('order', { item: 'book' });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ message: 'address unknown', step: 'ship' });
    expect(run.compensations).toEqual(['charge', 'reserve']);
    expect(ledger.entries).toEqual(['reserve book', 'charge attempt 1', 'refund', 'release']);
  });

  it('times a step out on the fake clock', async () => {
    const run = await bed.run('order', { item: 'book', slowShip: true });
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'STEP_TIMEOUT', step: 'ship' });
    expect(run.compensations).toEqual(['charge', 'reserve']);
  });

  it('refuses to wait forever for a task that never ends', async () => {
    bed.failStep('order', 'charge');
    await expect(bed.run('order', { item: 'x' }, { maxTimeMs: 30_000 })).rejects.toThrow(
      /still pending after 30000 ms of simulated time/,
    );
  });
});
