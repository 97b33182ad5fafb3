import { ManualClock, MemoryEventBus, MemoryTaskQueue, MemoryTaskStore } from '../adapters/memory';
import { Compensate, Step, Task, type StepContext } from '../definition';
import type { LeaseState } from '../ports';
import { NonRetryableError } from './step-errors';
import { createEngineFixture, deferred } from './testing/engine-fixture';

@Task({ name: 'undo-slow' })
class UndoSlowTask {
  undoCalls = 0;
  undoInFlight = 0;
  undoMax = 0;
  readonly undoGate = deferred();

  @Step({ order: 1 })
  a() {
    return 'a';
  }

  @Step({ order: 2 })
  b() {
    throw new NonRetryableError('b broke');
  }

  @Compensate('a')
  async undoA(ctx: StepContext) {
    this.undoCalls++;
    this.undoInFlight++;
    this.undoMax = Math.max(this.undoMax, this.undoInFlight);
    try {
      await Promise.race([
        this.undoGate.promise,
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      ]);
    } finally {
      this.undoInFlight--;
    }
  }
}

/** Process A's view of a shared store: its heartbeats fail while `outage` (a partition from the database). */
function partitioned(shared: MemoryTaskStore, state: { outage: boolean }): MemoryTaskStore {
  return new Proxy(shared, {
    get(target, prop, receiver) {
      if (prop === 'renewLease') {
        return async (...args: Parameters<MemoryTaskStore['renewLease']>): Promise<LeaseState> => {
          if (state.outage) throw new Error('connection timeout');
          return target.renewLease(...args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('a lost lease', () => {
  it('stops a compensation before the lease can expire, so two processes never compensate at once', async () => {
    const undo = new UndoSlowTask();
    const clock = new ManualClock();
    const shared = new MemoryTaskStore();
    const net = { outage: false };
    const bus = new MemoryEventBus();
    const a = createEngineFixture({
      tasks: [undo],
      store: partitioned(shared, net),
      clock,
      bus,
      settings: { workerId: 'worker-a' },
    });
    const b = createEngineFixture({
      tasks: [undo],
      store: shared,
      clock,
      bus,
      queue: new MemoryTaskQueue(clock),
      settings: { workerId: 'worker-b' },
    });
    await a.engine.start(['worker']);
    const { task } = await a.submit('undo-slow');
    await a.flush();
    expect(undo.undoCalls).toBe(1); // A compensates 'a', slowly
    net.outage = true;
    await b.engine.start(['worker']);

    // A's beats at 10 s and 20 s fail; before its lease (30 s) can expire, A gives it up.
    await clock.advance(20_000);
    expect(undo.undoInFlight).toBe(0);
    expect(a.logger.messages('warn').join('\n')).toMatch(/lease not renewed .* giving it up/);
    // B takes the task over once the lease has expired, and compensates alone.
    await clock.advance(20_000);
    expect(undo.undoCalls).toBe(2);
    expect(undo.undoMax).toBe(1);
    undo.undoGate.resolve();
    const stored = await b.settle(task.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(stored.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'compensated'],
      ['b', 'failed'],
    ]);
    // A wrote nothing once it had given the lease up: one a:compensated, by B.
    const compensated = (await shared.listEvents(task.id)).filter(
      (e) => e.step === 'a' && e.stepStatus === 'compensated',
    );
    expect(compensated).toHaveLength(1);
  });
});
