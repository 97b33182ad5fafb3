import { ManualClock } from '../adapters/memory/manual-clock';
import { ProgressThrottle } from './progress-throttle';

interface Ev {
  taskId: string;
  type: string;
  progress: number;
  n?: number;
}

const TERMINAL = new Set(['task.completed', 'task.failed', 'task.cancelled']);

describe('ProgressThrottle', () => {
  let clock: ManualClock;
  let out: Ev[];
  let throttle: ProgressThrottle<Ev>;

  const progress = (progress: number, taskId = 'a'): Ev => ({ taskId, type: 'task.progress', progress });
  const make = (intervalMs = 100, idleMs = 1_000) =>
    new ProgressThrottle<Ev>((e) => out.push(e), {
      intervalMs,
      idleMs,
      timers: clock,
      isTerminal: (e) => TERMINAL.has(e.type),
    });
  const summary = () => out.map((e) => `${e.taskId}:${e.type}:${e.progress}`);

  beforeEach(() => {
    clock = new ManualClock();
    out = [];
    throttle = make();
  });

  afterEach(() => throttle.dispose());

  it('sends the first progress at once, then only the latest of a window on its trailing edge', async () => {
    throttle.push(progress(0.1));
    expect(summary()).toEqual(['a:task.progress:0.1']);
    throttle.push(progress(0.2));
    throttle.push(progress(0.3));
    throttle.push(progress(0.4));
    expect(out).toHaveLength(1);
    await clock.advance(99);
    expect(out).toHaveLength(1);
    await clock.advance(1);
    expect(summary()).toEqual(['a:task.progress:0.1', 'a:task.progress:0.4']);
    // The trailing emission opened a new window: the next one waits for it.
    throttle.push(progress(0.5));
    expect(out).toHaveLength(2);
    await clock.advance(100);
    expect(summary()).toEqual(['a:task.progress:0.1', 'a:task.progress:0.4', 'a:task.progress:0.5']);
    // A quiet window ends without sending anything; the next progress is a leading edge again.
    await clock.advance(100);
    throttle.push(progress(0.6));
    expect(summary().at(-1)).toBe('a:task.progress:0.6');
  });

  it('emits at most one progress per interval under a burst', async () => {
    const times: number[] = [];
    throttle = new ProgressThrottle<Ev>(
      (e) => {
        out.push(e);
        times.push(clock.now());
      },
      { intervalMs: 100, timers: clock, isTerminal: (e) => TERMINAL.has(e.type) },
    );
    for (let i = 1; i <= 1000; i++) {
      throttle.push(progress(i / 1000));
      await clock.advance(1);
    }
    await clock.advance(200);
    expect(out.length).toBeGreaterThanOrEqual(10);
    expect(out.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(100);
    // The latest value always wins.
    expect(out.at(-1)?.progress).toBe(1);
  });

  it('flushes the held progress before a step event, which goes out at once', () => {
    throttle.push(progress(0.1));
    throttle.push(progress(0.2));
    throttle.push({ taskId: 'a', type: 'task.step', progress: 0.5 });
    expect(summary()).toEqual(['a:task.progress:0.1', 'a:task.progress:0.2', 'a:task.step:0.5']);
  });

  it('never drops nor delays a step or terminal event, whatever the burst', () => {
    for (let i = 0; i < 50; i++) {
      throttle.push(progress(i / 100));
      throttle.push({ taskId: 'a', type: 'task.step', progress: i / 100, n: i });
    }
    throttle.push(progress(0.9));
    throttle.push({ taskId: 'a', type: 'task.completed', progress: 1 });
    expect(out.filter((e) => e.type === 'task.step').map((e) => e.n)).toEqual([...Array(50).keys()]);
    expect(out.filter((e) => e.type === 'task.completed')).toHaveLength(1);
    // The held 0.9 went out first, then the terminal event, last.
    expect(summary().slice(-2)).toEqual(['a:task.progress:0.9', 'a:task.completed:1']);
  });

  it('preserves order and never lets progress go back', async () => {
    throttle.push(progress(0.5));
    throttle.push(progress(0.3)); // stale: below what was sent
    await clock.advance(100);
    throttle.push(progress(0.4)); // still stale, in a new window
    throttle.push({ taskId: 'a', type: 'task.step', progress: 0.7 });
    throttle.push(progress(0.6)); // below the step event's progress
    throttle.push(progress(0.8));
    await clock.advance(100);
    throttle.push({ taskId: 'a', type: 'task.completed', progress: 1 });
    throttle.push(progress(0.9)); // after the end
    await clock.advance(1_000);
    expect(summary()).toEqual(['a:task.progress:0.5', 'a:task.step:0.7', 'a:task.progress:0.8', 'a:task.completed:1']);
    const sent = out.map((e) => e.progress);
    expect(sent).toEqual([...sent].sort((x, y) => x - y));
  });

  it('keeps the highest held value when a lower one arrives in the same window', async () => {
    throttle.push(progress(0.1));
    throttle.push(progress(0.6));
    throttle.push(progress(0.4));
    await clock.advance(100);
    expect(summary()).toEqual(['a:task.progress:0.1', 'a:task.progress:0.6']);
  });

  it('throttles each task on its own', async () => {
    throttle.push(progress(0.1, 'a'));
    throttle.push(progress(0.1, 'b'));
    throttle.push(progress(0.2, 'a'));
    throttle.push({ taskId: 'b', type: 'task.failed', progress: 0.1 });
    expect(summary()).toEqual(['a:task.progress:0.1', 'b:task.progress:0.1', 'b:task.failed:0.1']);
    await clock.advance(100);
    expect(summary().at(-1)).toBe('a:task.progress:0.2');
  });

  it('cleans up: a terminal event drops the task at once, a quiet task after idleMs', async () => {
    throttle.push(progress(0.1, 'a'));
    throttle.push(progress(0.2, 'a'));
    throttle.push({ taskId: 'b', type: 'task.created', progress: 0 });
    expect(throttle.size).toBe(2);
    throttle.push({ taskId: 'a', type: 'task.cancelled', progress: 0.2 });
    expect(throttle.size).toBe(1);
    expect(clock.pending).toBe(1); // only b's idle expiry; a's window timer is gone
    await clock.advance(1_000);
    expect(throttle.size).toBe(0);
    expect(clock.pending).toBe(0);
    // b's event does not flush a's held progress; a's own terminal event does, first.
    expect(summary()).toEqual([
      'a:task.progress:0.1',
      'b:task.created:0',
      'a:task.progress:0.2',
      'a:task.cancelled:0.2',
    ]);
  });

  it('remembers a bounded number of finished tasks', () => {
    throttle = new ProgressThrottle<Ev>((e) => out.push(e), {
      intervalMs: 100,
      timers: clock,
      finishedMemory: 2,
      isTerminal: (e) => TERMINAL.has(e.type),
    });
    for (const id of ['x', 'y', 'z']) throttle.push({ taskId: id, type: 'task.completed', progress: 1 });
    out = [];
    throttle.push(progress(0.5, 'x')); // forgotten: a late event of an old task gets through
    throttle.push(progress(0.5, 'z')); // remembered: dropped
    expect(summary()).toEqual(['x:task.progress:0.5']);
  });

  it('lets every progress through with intervalMs 0, still monotonic', async () => {
    throttle = make(0);
    throttle.push(progress(0.1));
    throttle.push(progress(0.2));
    throttle.push(progress(0.15));
    throttle.push(progress(0.3));
    expect(summary()).toEqual(['a:task.progress:0.1', 'a:task.progress:0.2', 'a:task.progress:0.3']);
    await clock.advance(1_000);
    expect(throttle.size).toBe(0);
  });

  it('dispose drops held events and timers', () => {
    throttle.push(progress(0.1));
    throttle.push(progress(0.2));
    throttle.dispose();
    expect(throttle.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
