import type { EngineDeps } from './engine-deps';
import { wakeUp } from './wake-up';

/**
 * The safety net: re-dispatches tasks whose wake-up call was lost (queue
 * flushed, publish failed after the insert, process restarted) and tasks
 * whose lease expired (a worker died); deletes tasks past their retention.
 */
export class Sweeper {
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;

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
    const due = await store.findDue(clock.now(), settings.pendingGraceMs, 500);
    // Keyed by version: the job of a worker that died may still sit in the
    // queue as active (until the queue's own stall check), and a plain
    // re-add of the same job id would be swallowed by it.
    for (const task of due) await wakeUp(this.deps, task, { dedupeKey: String(task.version) });
    await this.expire();
    return due.length;
  }

  private async expire(): Promise<void> {
    const { store, clock, registry, settings } = this.deps;
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
