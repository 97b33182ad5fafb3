import type { DueCursor, DueTask } from '../ports';
import type { EngineDeps } from './engine-deps';
import { wakeUp } from './wake-up';

/** Most tasks per reason in one pass. */
const SWEEP_LIMIT = 500;

/**
 * The safety net: re-dispatches tasks whose wake-up call was lost (queue
 * flushed, publish failed after the insert, process restarted) and tasks
 * whose lease expired (a worker died), waiting tasks past their wait's
 * deadline (the claim takes them; their step's wait then times out); deletes
 * tasks past their retention.
 */
export class Sweeper {
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** Where the next pass resumes each of the store's scans: successive passes cover a backlog of any size. */
  private cursor: DueCursor | undefined;

  constructor(
    private readonly deps: EngineDeps,
    private readonly remove: (taskId: string) => Promise<void>,
  ) {}

  start(): void {
    this.loop();
  }

  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  /** One pass; returns how many tasks were dispatched again. */
  async sweep(): Promise<number> {
    const { store, clock, settings } = this.deps;
    const page = await store.findDue({
      now: clock.now(),
      pendingGraceMs: settings.pendingGraceMs,
      limit: SWEEP_LIMIT,
      after: this.cursor,
    });
    this.cursor = page.next;
    // Dead workers' tasks and cancels first, each task once: a backlog of
    // pending tasks never holds them back.
    const due = new Map<string, DueTask>();
    for (const task of [...page.expired, ...page.cancels, ...page.pending, ...page.waiting]) {
      if (!due.has(task.id)) due.set(task.id, task);
    }
    // Keyed by version: the job of a worker that died may still sit in the
    // queue as active (until the queue's own stall check), and a plain
    // re-add of the same job id would be swallowed by it. A wake-up still
    // queued for the same version is not added twice (the queues dedupe).
    for (const task of due.values()) await wakeUp(this.deps, task, { dedupeKey: String(task.version) });
    if (page.expired.length > 0) this.deps.observer?.leasesRecovered?.(page.expired.length);
    await this.expire();
    return due.size;
  }

  private async expire(): Promise<void> {
    const { store, clock, registry, settings } = this.deps;
    // Deletes requested while the task ran, which its run did not get to (a crash, a race with its end).
    for (const id of await store.findDeleteRequested(100)) await this.remove(id);
    for (const definition of registry.all()) {
      const retention = definition.retentionMs ?? settings.retentionMs;
      if (retention === undefined) continue;
      const ids = await store.findFinishedBefore(definition.name, clock.now() - retention, 100);
      for (const id of ids) await this.remove(id);
    }
  }

  private loop(): void {
    this.running = this.sweep()
      .then(() => undefined)
      .catch((error) => this.deps.logger.warn(`sweep failed: ${String(error)}`))
      .finally(() => {
        this.running = undefined;
        this.cancelTimer = this.deps.clock.setTimer(this.deps.settings.sweepIntervalMs, () => this.loop());
      });
  }
}
