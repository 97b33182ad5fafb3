/** Lifecycle of a task. Terminal statuses never change again. */
export type TaskStatus = 'pending' | 'running' | 'paused' | 'compensating' | 'completed' | 'failed' | 'cancelled';

/** Lifecycle of one step inside a task. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'compensating' | 'compensated' | 'skipped';

/** Where a step runs: in the process serving HTTP, or in a worker process. */
export type Placement = 'api' | 'worker';

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const TASK_STATUSES: readonly TaskStatus[] = [
  'pending',
  'running',
  'paused',
  'compensating',
  'completed',
  'failed',
  'cancelled',
];
