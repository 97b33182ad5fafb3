import type { EngineDeps } from './engine-deps';
import { LeaseLostError, TaskCancelledError } from './step-errors';
import type { Execution } from './execution';

/**
 * Heartbeat of one execution: extends the lease, and notices a cancel or a
 * lost lease even when the event bus missed it. When the store cannot be
 * reached, the run gives the lease up itself before it can expire, so it
 * never runs on beside the process that takes the task over.
 */
export function keepLease(deps: EngineDeps, exec: Execution): () => void {
  const { settings, clock, store, logger } = deps;
  let stopped = false;
  let cancelTimer: () => void = () => undefined;
  // The claim just set the lease: it runs from here.
  let heldSince = clock.now();
  const beat = async () => {
    if (stopped) return;
    const at = clock.now();
    try {
      const state = await store.renewLease(exec.task.id, settings.workerId, settings.leaseMs, at);
      if (!state.held) exec.abort(new LeaseLostError(exec.task.id));
      else if (state.cancelRequested) exec.abort(new TaskCancelledError());
      if (state.held) {
        heldSince = at;
        exec.task.pauseRequested = state.pauseRequested;
        exec.task.deleteRequested = state.deleteRequested;
      }
    } catch (error) {
      logger.warn(`heartbeat of ${exec.task.id} failed: ${String(error)}`);
      // The next beat would come after the lease may have expired: stop now.
      if (clock.now() + settings.heartbeatMs >= heldSince + settings.leaseMs) {
        logger.warn(`task ${exec.task.id}: lease not renewed for ${clock.now() - heldSince} ms, giving it up`);
        exec.abort(new LeaseLostError(exec.task.id));
      }
    }
    schedule();
  };
  const schedule = () => {
    if (!stopped) cancelTimer = clock.setTimer(settings.heartbeatMs, () => void beat());
  };
  schedule();
  return () => {
    stopped = true;
    cancelTimer();
  };
}
