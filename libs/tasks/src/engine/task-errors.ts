/**
 * Errors of the engine's public operations. Transports map them to status
 * codes (the HTTP layer: 404, 400, 409) by `kind`, not by class identity.
 */
export class TaskOperationError extends Error {
  constructor(
    readonly kind: 'not_found' | 'invalid_input' | 'conflict' | 'unavailable',
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
