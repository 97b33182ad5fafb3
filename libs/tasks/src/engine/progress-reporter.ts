import type { ResultFile, StepRecord, TaskRecord } from '../model';
import type { EngineDeps } from './engine-deps';
import type { AttemptHooks } from './step-attempt';

/**
 * Turns a step's `ctx.progress()` calls into throttled writes and events:
 * the first report goes out at once, later ones at most every
 * `progressThrottleMs`, and the latest value always wins. Never goes back.
 */
export class ProgressReporter {
  private lastFlush = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly deps: Pick<EngineDeps, 'clock' | 'settings' | 'logger'>,
    private readonly index: number,
    private readonly total: number,
    private readonly step: StepRecord,
    private readonly task: TaskRecord,
    private readonly flush: () => Promise<void>,
  ) {}

  hooks(setResultFile: (file: ResultFile) => void): AttemptHooks {
    return {
      progress: (fraction, message) => this.report(fraction, message),
      // An abandoned attempt that finishes late must not change the task.
      setResultFile: (file) => {
        if (!this.stopped) setResultFile(file);
      },
    };
  }

  report(fraction: number, message?: string): void {
    if (this.stopped || !Number.isFinite(fraction)) return;
    const clamped = Math.min(1, Math.max(0, fraction));
    this.step.progress = Math.max(this.step.progress, clamped);
    this.task.progress = Math.max(this.task.progress, (this.index + this.step.progress) / this.total);
    if (message !== undefined) this.task.message = message;
    if (this.cancelTimer) return;
    const wait = this.lastFlush + this.deps.settings.progressThrottleMs - this.deps.clock.now();
    if (wait <= 0) this.emit();
    else this.cancelTimer = this.deps.clock.setTimer(wait, () => this.emit());
  }

  /** Called when the attempt ends: its checkpoint carries the final value. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private emit(): void {
    this.cancelTimer = undefined;
    if (this.stopped) return;
    this.lastFlush = this.deps.clock.now();
    this.flush().catch((error) => this.deps.logger.warn(`progress write failed: ${String(error)}`));
  }
}
