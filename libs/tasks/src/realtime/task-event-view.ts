import { isPublicEventType, isTerminalEventType, type PublicEventType, type TaskEventView } from '@stepwise/contract';
import type { TaskEvent } from '../model';

// The payload and the list of public events are the contract's, shared with @stepwise/client.
export { PUBLIC_EVENT_TYPES, type TaskEventView } from '@stepwise/contract';

/** An event of the log that clients are sent (see `PUBLIC_EVENT_TYPES`). */
export type PublicTaskEvent = TaskEvent & { type: PublicEventType };

/**
 * Whether an event goes to Socket.IO and SSE clients: the contract's six,
 * `task.paused`, `task.resumed` and `task.waiting`. The audit-only events of the log stay
 * inside.
 */
export function isPublicEvent<E extends Pick<TaskEvent, 'type'>>(event: E): event is E & { type: PublicEventType } {
  return isPublicEventType(event.type);
}

/** `task.completed`, `task.failed` or `task.cancelled`: nothing follows. */
export function isTerminalEvent(event: Pick<TaskEvent, 'type'>): boolean {
  return isTerminalEventType(event.type);
}

/** Copies the public fields one by one: `owner` never leaves the server. */
export function toTaskEventView(event: PublicTaskEvent): TaskEventView {
  return {
    taskId: event.taskId,
    type: event.taskType,
    event: event.type,
    status: event.status,
    progress: event.progress,
    ...(event.step !== undefined ? { step: event.step } : {}),
    ...(event.stepStatus !== undefined ? { stepStatus: event.stepStatus } : {}),
    ...(event.message !== undefined && event.message !== null ? { message: event.message } : {}),
    at: isoTime(event.at),
    ...(typeof event.seq === 'number' ? { seq: event.seq } : {}),
  };
}

function isoTime(at: unknown): string {
  const date = new Date(typeof at === 'number' || typeof at === 'string' ? at : Number.NaN);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}
