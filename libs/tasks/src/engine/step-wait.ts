import type { StepDefinition, WaitForSignalOptions } from '../definition';
import { signalWait, type WaitTarget } from '../model';
import type { TaskStore } from '../ports';
import type { Execution } from './execution';
import { NonRetryableError } from './step-errors';

/**
 * Thrown by a wait to stop its step: the runner suspends the task as
 * `waiting` (no failure, no attempt spent). Not an error the step should
 * catch: it only carries what the task waits for.
 */
export class WaitSuspension extends Error {
  constructor(
    readonly target: WaitTarget,
    readonly timeoutMs: number | undefined,
  ) {
    super(`step suspended: waiting for ${target}`);
    this.name = 'WaitSuspension';
  }
}

/** The signal a step waited for did not come within its timeout: a failure of the step. */
export class SignalTimeoutError extends Error {
  readonly code = 'SIGNAL_TIMEOUT';
  constructor(signal: string) {
    super(`Signal "${signal}" did not come in time`);
    this.name = 'SignalTimeoutError';
  }
}

/** The most a wait may last when it gives a timeout: a year, as a delayed submit. */
const MAX_WAIT_MS = 366 * 86_400_000;

/**
 * `ctx.waitForSignal` of one attempt of `step`: the signal's payload when it
 * was delivered (taken by this step), a timeout when the claim found the
 * wait expired, else a suspension.
 */
export function signalWaiter(store: TaskStore, exec: Execution, step: StepDefinition) {
  return async (name: string, options: WaitForSignalOptions = {}): Promise<unknown> => {
    if (!step.signals.has(name)) {
      throw new NonRetryableError(
        `step "${step.name}" waits for signal "${name}" but does not declare it in @Step({ signals })`,
      );
    }
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_WAIT_MS)) {
      throw new NonRetryableError(`waitForSignal("${name}"): timeoutMs must be an integer from 0 to ${MAX_WAIT_MS}`);
    }
    const taken = await store.takeSignal(exec.task.id, name, step.name);
    if (taken) return taken.payload;
    if (exec.expiredWait === signalWait(name)) {
      exec.expiredWait = null;
      throw new SignalTimeoutError(name);
    }
    throw new WaitSuspension(signalWait(name), timeoutMs);
  };
}
