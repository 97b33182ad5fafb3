import type { TerminalStatus } from './statuses';

/**
 * Events sent to Socket.IO and server-sent-events clients: the contract's
 * six, plus `task.paused`, `task.resumed` and `task.waiting` (a status change a
 * client shows, like the others). A retry or a compensation is visible anyway through
 * `task.step` and the task's status, so their audit events stay inside.
 */
export const PUBLIC_EVENT_TYPES = [
  'task.created',
  'task.progress',
  'task.step',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.paused',
  'task.resumed',
  'task.waiting',
] as const;

/**
 * The events only the task's log, webhooks and in-process hooks see (and
 * `GET /tasks/{id}/audit`). `task.downloaded`: someone read the result file.
 */
export const AUDIT_EVENT_TYPES = [
  'task.retrying',
  'task.compensating',
  'task.cancel_requested',
  'task.retried',
  'task.downloaded',
  'task.signalled',
] as const;

/**
 * Every event a task's log records: the public ones (see
 * {@link PUBLIC_EVENT_TYPES}) and the audit-only ones (`task.retrying`,
 * `task.compensating`, `task.cancel_requested`, `task.retried`,
 * `task.downloaded`, `task.signalled`), which webhooks and
 * in-process hooks may also listen to.
 */
export const TASK_EVENT_TYPES = [...PUBLIC_EVENT_TYPES, ...AUDIT_EVENT_TYPES] as const;

/** The name of an event of a task's log. */
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** The name of an event pushed to clients (the Socket.IO event, the SSE `event:` field). */
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

/** Events after which a task never changes again, and nothing follows. */
export const TERMINAL_EVENT_TYPES = [
  'task.completed',
  'task.failed',
  'task.cancelled',
] as const satisfies readonly PublicEventType[];

/** `task.completed`, `task.failed` or `task.cancelled`. */
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

/** Whether an event name is one of the {@link PUBLIC_EVENT_TYPES}. */
export function isPublicEventType(name: string): name is PublicEventType {
  return (PUBLIC_EVENT_TYPES as readonly string[]).includes(name);
}

/** Whether an event name ends its task (`task.completed`, `task.failed`, `task.cancelled`). */
export function isTerminalEventType(name: string): name is TerminalEventType {
  return (TERMINAL_EVENT_TYPES as readonly string[]).includes(name);
}

/** The event a task ending in this status records: `task.completed` for `completed`, and so on. */
export function terminalEventOf(status: TerminalStatus): TerminalEventType {
  return `task.${status}`;
}
