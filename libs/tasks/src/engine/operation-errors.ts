/**
 * Errors of the engine's public operations. Transports map them to status
 * codes (the HTTP layer: 404, 400, 409, 422, 403, 503) by `kind`, not by class identity.
 */
export class TaskOperationError extends Error {
  constructor(
    readonly kind:
      'not_found' | 'invalid_input' | 'conflict' | 'idempotency_key_reused' | 'quota_exceeded' | 'unavailable',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TaskOperationError';
  }
}

export const taskNotFound = (id: string) => new TaskOperationError('not_found', `Task ${id} not found`);
export const unknownTaskType = (type: string) => new TaskOperationError('not_found', `Unknown task type "${type}"`);
export const conflict = (message: string, details?: unknown) => new TaskOperationError('conflict', message, details);
export const invalidInput = (message: string, details?: unknown) =>
  new TaskOperationError('invalid_input', message, details);
/** The idempotency key of an earlier submit came with another request (another input): nothing is created. */
export const idempotencyKeyReused = (key: string) =>
  new TaskOperationError(
    'idempotency_key_reused',
    `Idempotency-Key "${key}" was already used with a different request; use a new key for a new request`,
  );
/** The owner is at its `activeTasks` quota: nothing is created (`details` name the quota, as the HTTP 403 does). */
export const activeTasksExceeded = (limit: number, used: number) =>
  new TaskOperationError(
    'quota_exceeded',
    `Quota activeTasks exceeded: ${used} active tasks of at most ${limit}; submit again when some have finished`,
    { quota: 'activeTasks', limit, used },
  );
