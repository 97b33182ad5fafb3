import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { EngineDeps } from './engine-deps';

/** Appends an event to the task's log (the audit trail), then fans it out. */
export class EventRecorder {
  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'bus' | 'clock' | 'logger' | 'notifier'>) {}

  async record(
    task: TaskRecord,
    type: TaskEventType,
    extra: Partial<Pick<TaskEvent, 'step' | 'stepStatus' | 'message'>> = {},
  ): Promise<TaskEvent> {
    const event: TaskEvent = {
      taskId: task.id,
      owner: task.owner,
      type,
      taskType: task.type,
      status: task.status,
      progress: task.progress,
      at: this.deps.clock.now(),
      ...(task.message && !extra.message ? { message: task.message } : {}),
      ...extra,
    };
    const stored = await this.deps.store.appendEvent(event);
    if (this.deps.notifier) {
      await this.deps.notifier
        .notify(task, stored)
        .catch((error) => this.deps.logger.warn(`notifier failed for ${task.id}: ${String(error)}`));
    }
    try {
      await this.deps.bus.publish(stored);
    } catch (error) {
      // The log holds the event; live subscribers catch up from it.
      this.deps.logger.warn(`event bus publish failed for ${task.id}: ${String(error)}`);
    }
    return stored;
  }
}
