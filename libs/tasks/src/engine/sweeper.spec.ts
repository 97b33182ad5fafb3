import { ManualClock, MemoryTaskQueue } from '../adapters/memory';
import { newTask } from '../adapters/testing/store-contract';
import type { Dispatch, NewTask } from '../ports';
import { createEngineFixture } from './testing/engine-fixture';

/** The memory queue, keeping a copy of every dispatch it was given. */
class RecordingQueue extends MemoryTaskQueue {
  readonly dispatched: Dispatch[] = [];

  override async dispatch(message: Dispatch): Promise<void> {
    this.dispatched.push(message);
    return super.dispatch(message);
  }
}

/** Nothing consumes: every wake-up the sweeper sends stays in the queue, where it can be counted. */
function setup() {
  const clock = new ManualClock();
  const queue = new RecordingQueue(clock);
  const f = createEngineFixture({ clock, queue });
  const create = async (overrides: Partial<NewTask>) => (await f.store.create(newTask(overrides))).task;
  /** Pending tasks whose wake-up was lost a minute ago, the oldest first. */
  const backlog = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await create({ runAt: f.clock.now() - 60_000 - count + i })).id);
    return ids;
  };
  return { f, queue, create, backlog };
}

describe('Sweeper', () => {
  it('re-dispatches every one of 1,200 overdue pending tasks over successive passes, never twice in the queue', async () => {
    const { f, queue, backlog } = setup();
    const ids = await backlog(1200);

    const counts: number[] = [];
    for (let pass = 0; pass < 3; pass++) counts.push(await f.engine.sweeper.sweep());
    expect(counts).toEqual([500, 500, 200]);
    expect(queue.dispatched.map((d) => d.taskId).sort()).toEqual([...ids].sort());
    expect(queue.dispatched.every((d) => d.dedupeKey === '1')).toBe(true);

    // The cursor wrapped: the next passes send them again, and the queue keeps one wake-up per task.
    for (let pass = 0; pass < 3; pass++) await f.engine.sweeper.sweep();
    expect(queue.dispatched).toHaveLength(2400);
    expect(queue.size).toBe(1200);
  });

  it("dispatches a dead worker's task and a requested cancel in the first pass, ahead of the backlog", async () => {
    const { f, queue, create, backlog } = setup();
    await backlog(1200);
    const now = f.clock.now();
    const crashed = await create({ runAt: now - 40_000 });
    await f.store.claim({ taskId: crashed.id, workerId: 'dead', leaseMs: f.settings.leaseMs, now: now - 40_000 });
    const cancelled = await create({ status: 'paused', runAt: now - 20_000 });
    await f.store.setFlags(cancelled.id, { cancelRequested: true });

    expect(await f.engine.sweeper.sweep()).toBe(502);
    expect(queue.dispatched.slice(0, 2).map((d) => d.taskId)).toEqual([crashed.id, cancelled.id]);
    // The claim bumped the dead worker's version: a new job, not its stuck one.
    expect(queue.dispatched[0].dedupeKey).toBe('2');
  });

  it('keeps sweeping through the backlog on its timer', async () => {
    const { f, queue, backlog } = setup();
    const ids = await backlog(1200);
    f.engine.sweeper.start();
    await f.flush();
    for (let pass = 0; pass < 2; pass++) await f.clock.advance(f.settings.sweepIntervalMs);
    await f.engine.sweeper.stop();
    expect(new Set(queue.dispatched.map((d) => d.taskId))).toEqual(new Set(ids));
  });
});
