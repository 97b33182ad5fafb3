import type { TaskEvent, TaskRecord } from '../model';

/**
 * Told of every event recorded for a task, right after it is appended to the
 * log, in the process that recorded it (so each event is notified once, not
 * once per process listening to the bus). Webhooks use it to fill a durable
 * outbox.
 */
export interface TaskNotifier {
  notify(task: TaskRecord, event: TaskEvent): Promise<void>;
}
