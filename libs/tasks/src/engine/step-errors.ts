import type { TaskError } from '../model';

/** Throw from a step to fail it at once, without retries. */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** Reasons an execution is aborted from outside the step. */
export abstract class AbortReason extends Error {
  abstract readonly code: string;
}

export class TaskCancelledError extends AbortReason {
  readonly code = 'CANCELLED';
  constructor() {
    super('Task was cancelled');
    this.name = 'TaskCancelledError';
  }
}

export class TaskTimeoutError extends AbortReason {
  readonly code = 'TASK_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`Task exceeded its timeout of ${timeoutMs} ms`);
    this.name = 'TaskTimeoutError';
  }
}

export class StepTimeoutError extends AbortReason {
  readonly code = 'STEP_TIMEOUT';
  constructor(step: string, timeoutMs: number) {
    super(`Step "${step}" exceeded its timeout of ${timeoutMs} ms`);
    this.name = 'StepTimeoutError';
  }
}

/** The process is shutting down: the step is handed back, not failed. */
export class ShutdownError extends AbortReason {
  readonly code = 'SHUTDOWN';
  constructor() {
    super('Worker is shutting down');
    this.name = 'ShutdownError';
  }
}

/** Another worker took the lease over: this one must stop without writing. */
export class LeaseLostError extends AbortReason {
  readonly code = 'LEASE_LOST';
  constructor(taskId: string) {
    super(`Lease on task ${taskId} was lost`);
    this.name = 'LeaseLostError';
  }
}

export function toTaskError(error: unknown, step?: string): TaskError {
  const base =
    error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
  const code = error instanceof AbortReason ? error.code : (error as { code?: unknown })?.code;
  return {
    ...base,
    ...(typeof code === 'string' ? { code } : {}),
    ...(step ? { step } : {}),
  };
}
