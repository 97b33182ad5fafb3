import type { TaskDefinition } from '../definition';
import type { Placement, TaskEvent, TaskRecord, WaitTarget } from '../model';
import { type AbortReason, LeaseLostError } from './step-errors';

/**
 * One claimed run of a task in this process. Its signal aborts the running
 * step for reasons that come from outside: cancel, task timeout, shutdown,
 * lost lease.
 */
export class Execution {
  private readonly controller = new AbortController();
  private readonly leaseController = new AbortController();
  private readonly lingering: Array<Promise<unknown>> = [];
  /**
   * What the task still waited for when it was claimed: nothing woke it, so
   * that wait is over (its deadline passed) and the step's wait times out.
   */
  expiredWait: WaitTarget | null;

  constructor(
    readonly task: TaskRecord,
    readonly definition: TaskDefinition,
    readonly placement: Placement,
    /** The `task.step` event of the step the claim started (already written), if it did. */
    readonly started: TaskEvent | null = null,
  ) {
    this.expiredWait = task.waitingFor ?? null;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Aborts only when the lease is lost, even after another reason aborted
   * {@link signal}: compensations run through a cancel, never past a lost lease.
   */
  get leaseSignal(): AbortSignal {
    return this.leaseController.signal;
  }

  get reason(): AbortReason | undefined {
    return this.signal.aborted ? (this.signal.reason as AbortReason) : undefined;
  }

  abort(reason: AbortReason): void {
    if (!this.signal.aborted) this.controller.abort(reason);
    if (reason instanceof LeaseLostError && !this.leaseSignal.aborted) this.leaseController.abort(reason);
  }

  /** An abandoned attempt still running: it keeps this run's worker slot busy until it ends. */
  linger(running: Promise<unknown>): void {
    this.lingering.push(running);
  }

  /** Settles when every abandoned attempt of this run has ended. */
  async abandonedSettled(): Promise<void> {
    await Promise.allSettled(this.lingering);
  }
}
