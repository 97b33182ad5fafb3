/**
 * Lifecycle of a task, in the order a task usually goes through it. `waiting`:
 * a step waits for a signal or for its child tasks, holding no lease and no
 * worker slot.
 */
export const TASK_STATUSES = [
  'pending',
  'running',
  'paused',
  'waiting',
  'compensating',
  'completed',
  'failed',
  'cancelled',
] as const;

/** Lifecycle of a task. Terminal statuses never change again. */
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses after which a task never changes again. */
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];

/** `completed`, `failed` or `cancelled`. */
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

/** Whether a status is final (`completed`, `failed` or `cancelled`). Takes any string: answers from a server are not trusted to be one of ours. */
export function isTerminalStatus(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Whether a string is one of the {@link TASK_STATUSES}. */
export function isTaskStatus(status: unknown): status is TaskStatus {
  return typeof status === 'string' && (TASK_STATUSES as readonly string[]).includes(status);
}

/** Lifecycle of one step inside a task. */
export const STEP_STATUSES = [
  'pending',
  'running',
  'completed',
  'failed',
  'compensating',
  'compensated',
  'skipped',
] as const;

/** Lifecycle of one step inside a task. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Where a step runs: in the process serving HTTP, or in a worker process. */
export const PLACEMENTS = ['api', 'worker'] as const;

/** Where a step runs: in the process serving HTTP, or in a worker process. */
export type Placement = (typeof PLACEMENTS)[number];
