import type { DueTask } from '../ports';
import type { EngineDeps } from './engine-deps';

/**
 * Sends a task's wake-up call. A failure is logged, never thrown: the row is
 * the truth and says pending, so the sweeper sends it again.
 */
export async function wakeUp(
  deps: Pick<EngineDeps, 'queue' | 'logger'>,
  task: DueTask,
  options: { delayMs?: number; dedupeKey?: string } = {},
): Promise<void> {
  try {
    await deps.queue.dispatch({
      taskId: task.id,
      queue: task.queue,
      placement: task.placement,
      priority: task.priority,
      ...options,
    });
  } catch (error) {
    deps.logger.warn(`dispatch of ${task.id} failed, the sweeper will retry: ${String(error)}`);
  }
}
