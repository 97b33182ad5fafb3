import type { EngineDeps } from './engine-deps';

/** What a reconciliation pass removed. */
export interface ReconcileReport {
  scannedObjects: number;
  removedTasks: string[];
}

const TASK_PREFIX = 'tasks/';

/**
 * Deletes stored objects whose task no longer exists (a crash between the
 * upload and the insert, a delete interrupted half-way, a worker writing
 * after its task was deleted). Objects younger than the grace period are
 * kept: a multipart submit stores its files before the task row exists.
 */
export class Reconciler {
  private cancelTimer: (() => void) | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: EngineDeps) {}

  start(): void {
    const interval = this.deps.settings.reconcileIntervalMs;
    if (!interval) return;
    this.cancelTimer = this.deps.clock.setTimer(interval, () => {
      this.running = this.reconcile()
        .catch((error) => this.deps.logger.warn(`reconciliation failed: ${String(error)}`))
        .finally(() => {
          this.running = undefined;
          if (this.cancelTimer) this.start();
        });
    });
  }

  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  /** One pass over `tasks/`: newest object per task, then one lookup per task. */
  async reconcile(): Promise<ReconcileReport> {
    const { storage, store, clock, settings } = this.deps;
    const newest = new Map<string, number>();
    let scannedObjects = 0;
    for await (const object of storage.list(TASK_PREFIX)) {
      scannedObjects++;
      const taskId = object.key.slice(TASK_PREFIX.length).split('/')[0];
      if (!taskId) continue;
      newest.set(taskId, Math.max(newest.get(taskId) ?? 0, object.lastModified));
    }
    const cutoff = clock.now() - settings.orphanGraceMs;
    const removedTasks: string[] = [];
    for (const [taskId, lastModified] of newest) {
      if (lastModified > cutoff || (await store.get(taskId))) continue;
      await storage.deletePrefix(`${TASK_PREFIX}${taskId}/`);
      removedTasks.push(taskId);
    }
    if (removedTasks.length > 0)
      this.deps.logger.log(`reconciliation removed the files of ${removedTasks.length} task(s)`);
    return { scannedObjects, removedTasks };
  }
}
