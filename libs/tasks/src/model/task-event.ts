import type { TaskStatus } from './task-status';

/** Event names of the public contract, plus the audit-only ones: the one list the type and checks derive from. */
export const TASK_EVENT_TYPES = [
  'task.created',
  'task.progress',
  'task.step',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.paused',
  'task.resumed',
  'task.retrying',
  'task.compensating',
  'task.cancel_requested',
  'task.retried',
] as const;

export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** Events after which a task never changes again. */
export const TERMINAL_EVENTS: readonly TaskEventType[] = ['task.completed', 'task.failed', 'task.cancelled'];

/** One entry of a task's event log, and the payload pushed to subscribers. */
export interface TaskEvent {
  /** Position in the log (monotonic per store); absent until appended. */
  seq?: number;
  taskId: string;
  /** Owner of the task: lets transports route without a lookup. */
  owner: string;
  type: TaskEventType;
  taskType: string;
  status: TaskStatus;
  progress: number;
  step?: string;
  stepStatus?: string;
  message?: string;
  at: number;
}
