import type { TaskRecord } from '../model';
import { conflictError } from '../web/http-error';
import { toErrorView } from '../web/task-view.mapper';

/**
 * A result (output or file) exists only once the task completed. Before,
 * `409` with the current status and progress in `details`; after a failure
 * or a cancel, `409` with the status and the error.
 */
export function assertCompleted(task: TaskRecord): void {
  if (task.status === 'completed') return;
  if (task.status === 'failed' || task.status === 'cancelled') {
    throw conflictError(`Task ${task.id} is ${task.status}; it has no result`, {
      status: task.status,
      error: toErrorView(task.error),
    });
  }
  throw conflictError(`Task ${task.id} is ${task.status}; its result is not ready`, {
    status: task.status,
    progress: task.progress,
  });
}
