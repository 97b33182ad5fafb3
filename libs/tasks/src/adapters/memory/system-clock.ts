import type { Clock } from '../../ports';

/** The real clock. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, ms));
    // Timers must never keep a process alive on their own (shutdown, tests).
    timer.unref?.();
    return () => clearTimeout(timer);
  }
}
