import type { EngineDeps } from './engine-deps';
import { LeaseLostError, TaskCancelledError } from './errors';
import type { Execution } from './execution';

/**
 * Heartbeat of one execution: extends the lease, and notices a cancel or a
 * lost lease even when the event bus missed it.
 */
export function keepLease(deps: EngineDeps, exec: Execution): () => void {
  let stopped = false;
  let cancelTimer: () => void = () => undefined;
  const beat = async () => {
    if (stopped) return;
    try {
      const { settings, clock, store } = deps;
      const state = await store.renewLease(exec.task.id, settings.workerId, settings.leaseMs, clock.now());
      if (!state.held) exec.abort(new LeaseLostError(exec.task.id));
      else if (state.cancelRequested) exec.abort(new TaskCancelledError());
      if (state.held) exec.task.pauseRequested = state.pauseRequested;
    } catch (error) {
      // A store outage: keep beating; the lease expires only if it lasts.
      deps.logger.warn(`heartbeat of ${exec.task.id} failed: ${String(error)}`);
    }
    schedule();
  };
  const schedule = () => {
    if (!stopped) cancelTimer = deps.clock.setTimer(deps.settings.heartbeatMs, () => void beat());
  };
  schedule();
  return () => {
    stopped = true;
    cancelTimer();
  };
}
