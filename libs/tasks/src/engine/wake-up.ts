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

/** Sends the wake-up calls of many tasks at once; a failure is logged, as by {@link wakeUp}. */
export async function wakeUpMany(deps: Pick<EngineDeps, 'queue' | 'logger'>, tasks: readonly DueTask[]): Promise<void> {
  if (tasks.length === 0) return;
  try {
    await deps.queue.dispatchMany(
      tasks.map((task) => ({ taskId: task.id, queue: task.queue, placement: task.placement, priority: task.priority })),
    );
  } catch (error) {
    deps.logger.warn(`dispatch of ${tasks.length} tasks failed, the sweeper will retry: ${String(error)}`);
  }
}
