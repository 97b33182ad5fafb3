import type { Dispatch } from '../../ports';
import { flushMicrotasks, ManualClock } from './manual-clock';
import { MemoryTaskQueue } from './memory-task-queue';

const wakeUp = (taskId: string, extra: Partial<Dispatch> = {}): Dispatch => ({
  taskId,
  queue: 'files',
  placement: 'worker',
  priority: 0,
  ...extra,
});

describe('MemoryTaskQueue: a wake-up already queued is not added twice', () => {
  function setup() {
    const clock = new ManualClock();
    const queue = new MemoryTaskQueue(clock);
    const delivered: string[] = [];
    const consume = () =>
      queue.consume('files', 'worker', async (taskId) => void delivered.push(taskId), { concurrency: 1 });
    return { clock, queue, delivered, consume };
  }

  it('keeps one waiting wake-up per task, whatever the version it was sent for', async () => {
    const { queue, delivered, consume } = setup();
    for (let pass = 0; pass < 5; pass++) {
      await queue.dispatch(wakeUp('a', { dedupeKey: '1' }));
      await queue.dispatch(wakeUp('b', { dedupeKey: '1' }));
    }
    await queue.dispatch(wakeUp('a', { dedupeKey: '2' }));
    expect(queue.size).toBe(2);
    await consume();
    await flushMicrotasks();
    expect(delivered).toEqual(['a', 'b']);
  });

  it('keeps one delayed wake-up per task and version, and delivers a new version', async () => {
    const { clock, queue, delivered, consume } = setup();
    await consume();
    for (let i = 0; i < 3; i++) await queue.dispatch(wakeUp('a', { dedupeKey: '3', delayMs: 1000 }));
    await queue.dispatch(wakeUp('a', { dedupeKey: '4', delayMs: 2000 }));
    expect(clock.pending).toBe(2);
    await clock.advance(1000);
    expect(delivered).toEqual(['a']);
    await clock.advance(1000);
    expect(delivered).toEqual(['a', 'a']);
    // Delivered: the same version may be sent again (the sweeper's next pass, once the job is gone).
    await queue.dispatch(wakeUp('a', { dedupeKey: '3', delayMs: 10 }));
    await clock.advance(10);
    expect(delivered).toEqual(['a', 'a', 'a']);
  });
});
