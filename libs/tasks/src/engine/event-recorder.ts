import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { EngineDeps } from './engine-deps';

/** What an event adds to the task's own fields. */
export type EventExtra = Partial<Pick<TaskEvent, 'step' | 'stepStatus' | 'message'>>;

/**
 * Builds a task's events, appends them to its log (the audit trail) and fans
 * them out (notifier, event bus). The runner appends an event in the same
 * transaction as the state change it describes ({@link build}, then
 * `store.save(..., event)`, then {@link fanOut}); {@link record} is for the
 * events that go with no lease-holder write.
 */
export class EventRecorder {
  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'bus' | 'clock' | 'logger' | 'notifier'>) {}

  /** The event describing `task` as it is now. */
  build(task: TaskRecord, type: TaskEventType, extra: EventExtra = {}): TaskEvent {
    return {
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
  }

  /** Appends the event on its own, then fans it out. */
  async record(task: TaskRecord, type: TaskEventType, extra: EventExtra = {}): Promise<TaskEvent> {
    const stored = await this.deps.store.appendEvent(this.build(task, type, extra));
    await this.fanOut(task, stored);
    return stored;
  }

  /** Tells the notifier and the bus of an event already in the log. */
  async fanOut(task: TaskRecord, stored: TaskEvent): Promise<void> {
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
  }
}
