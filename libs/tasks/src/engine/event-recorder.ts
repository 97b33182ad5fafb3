import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { NewWebhookDelivery } from '../ports';
import type { EngineDeps } from './engine-deps';

/** What an event adds to the task's own fields. */
export type EventExtra = Partial<Pick<TaskEvent, 'step' | 'stepStatus' | 'message' | 'actor'>>;

/**
 * Builds a task's events, appends them to its log (the audit trail) with the
 * webhook deliveries announcing them, and fans them out (notifier, event
 * bus). The runner appends an event in the same transaction as the state
 * change it describes ({@link build} and {@link deliveries}, then
 * `store.save(..., { events, deliveries })`, then {@link fanOut});
 * {@link record} is for the events that go with no lease-holder write.
 */
export class EventRecorder {
  /** The `@OnTaskEvent` hooks run one event after the other, off the run's path. */
  private hooksDone: Promise<void> = Promise.resolve();

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'bus' | 'clock' | 'logger' | 'notifier' | 'hooks'>) {}

  /** Settles once the hooks of every event recorded so far have run. */
  hooksSettled(): Promise<void> {
    return this.hooksDone;
  }

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

  /**
   * The webhook deliveries announcing `events` of `task` (none without a
   * notifier): the store writes them in the events' transaction.
   */
  deliveries(task: TaskRecord, events: readonly TaskEvent[]): NewWebhookDelivery[] {
    const notifier = this.deps.notifier;
    return notifier ? events.flatMap((event) => notifier.deliveriesFor(task, event)) : [];
  }

  /** Whether events of `type` may have webhook deliveries to write with them. */
  announces(type: TaskEventType): boolean {
    return this.deps.notifier?.listensTo(type) ?? false;
  }

  /** Appends the event (with its deliveries) on its own, then fans it out. */
  async record(task: TaskRecord, type: TaskEventType, extra: EventExtra = {}): Promise<TaskEvent> {
    const event = this.build(task, type, extra);
    const stored = await this.deps.store.appendEvent(event, this.deliveries(task, [event]));
    await this.fanOut(task, stored);
    return stored;
  }

  /** Tells the bus and the notifier of events already in the log (with their deliveries), in order. */
  async fanOut(task: TaskRecord, ...stored: TaskEvent[]): Promise<void> {
    // Published first, all in one tick and not awaited: the run does not wait
    // a round trip for live subscribers, the events of one write can leave in
    // one write to the bus, and still in order (one connection). The log holds
    // them; a subscriber that missed one catches up from there.
    for (const event of stored) {
      this.deps.bus
        .publish(event)
        .catch((error) => this.deps.logger.warn(`event bus publish failed for ${task.id}: ${String(error)}`));
    }
    const hooks = this.deps.hooks;
    if (hooks && hooks.size > 0) {
      const failed = (hook: string, error: unknown) =>
        this.deps.logger.warn(`@OnTaskEvent ${hook} failed for ${task.id}: ${String(error)}`);
      for (const event of stored) this.hooksDone = this.hooksDone.then(() => hooks.deliver(event, task, failed));
    }
    const notifier = this.deps.notifier;
    if (!notifier) return;
    for (const event of stored) {
      await notifier
        .notify(task, event)
        .catch((error) => this.deps.logger.warn(`notifier failed for ${task.id}: ${String(error)}`));
    }
  }
}
