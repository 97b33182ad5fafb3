import { TERMINAL_EVENTS, type TaskEvent, type TaskEventType, type TaskStatus } from '../model';

/**
 * Events sent to Socket.IO and SSE clients: the contract's six, plus
 * `task.paused` and `task.resumed` (a status change a client shows, like the
 * others). The audit-only events of the log (`task.retrying`,
 * `task.compensating`, `task.cancel_requested`) stay inside: a retry or a
 * compensation is visible anyway through `task.step` and the task's status.
 */
export const PUBLIC_EVENT_TYPES: ReadonlySet<TaskEventType> = new Set<TaskEventType>([
  'task.created',
  'task.progress',
  'task.step',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.paused',
  'task.resumed',
]);

export function isPublicEvent(event: Pick<TaskEvent, 'type'>): boolean {
  return PUBLIC_EVENT_TYPES.has(event.type);
}

/** `task.completed`, `task.failed` or `task.cancelled`: nothing follows. */
export function isTerminalEvent(event: Pick<TaskEvent, 'type'>): boolean {
  return TERMINAL_EVENTS.includes(event.type);
}

/**
 * The payload of a live event, on Socket.IO (the event name is the Socket.IO
 * event) and in SSE `data:` lines (the event name is the `event:` field).
 *
 * `type` is the task's type (`create-zip`), as in the REST view of a task;
 * the event's own name is repeated in `event`, for catch-all listeners.
 */
export interface TaskEventView {
  taskId: string;
  /** The task's type, e.g. `countdown`. */
  type: string;
  /** The event's name, e.g. `task.progress`. */
  event: TaskEventType;
  /** The task's status once the event happened. */
  status: TaskStatus;
  /** The task's overall progress, 0..1. */
  progress: number;
  /** The step concerned (`task.step`, `task.progress`). */
  step?: string;
  /** `task.step` only: the step's new status (`running`, `completed`, `failed`, `compensated`...). */
  stepStatus?: string;
  /** The latest progress message or the task's message. */
  message?: string;
  /** When the event happened, ISO 8601 (UTC, milliseconds), like every time of the REST API. */
  at: string;
  /** Position in the task's event log: the SSE `id`, and what `Last-Event-ID` resumes after. */
  seq?: number;
}

/** Copies the public fields one by one: `owner` never leaves the server. */
export function toTaskEventView(event: TaskEvent): TaskEventView {
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
