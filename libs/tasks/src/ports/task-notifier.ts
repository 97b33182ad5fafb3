import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { NewWebhookDelivery } from './new-webhook-delivery';

/**
 * Turns a task's events into notifications (webhooks). The engine asks it for
 * the deliveries an event produces before writing the event, and hands them
 * to the store with it: they commit together or not at all, so no error
 * after the commit can lose one. Then, once the write has committed, it is
 * told of the event in the process that recorded it (each event once, not
 * once per process listening to the bus).
 */
export interface TaskNotifier {
  /**
   * The outbox rows announcing `event` of `task` (the task as of the event);
   * empty when nobody listens to it. Called before the write, possibly for a
   * write that then fails or is refused: no I/O, no side effect.
   */
  deliveriesFor(task: TaskRecord, event: TaskEvent): NewWebhookDelivery[];
  /**
   * Whether events of `type` may produce deliveries, for some task. A write
   * that appends such an event without the engine building it first (the
   * claim that starts a step appends its `task.step`) is only used when not.
   */
  listensTo(type: TaskEventType): boolean;
  /** The event and its deliveries were committed (a cue to send them now rather than at the next poll). */
  notify(task: TaskRecord, event: TaskEvent): Promise<void>;
}
