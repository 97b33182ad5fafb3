import type { TaskDefinition } from '../definition';
import type { Placement, TaskRecord } from '../model';
import type { AbortReason } from './errors';

/**
 * One claimed run of a task in this process. Its signal aborts the running
 * step for reasons that come from outside: cancel, task timeout, shutdown,
 * lost lease.
 */
export class Execution {
  private readonly controller = new AbortController();

  constructor(
    readonly task: TaskRecord,
    readonly definition: TaskDefinition,
    readonly placement: Placement,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get reason(): AbortReason | undefined {
    return this.signal.aborted ? (this.signal.reason as AbortReason) : undefined;
  }

  abort(reason: AbortReason): void {
    if (!this.signal.aborted) this.controller.abort(reason);
  }
}
