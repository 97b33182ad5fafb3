import type { TaskError, TaskEvent, TaskStatus, WaitTarget } from '../model';
import type { NewWebhookDelivery } from './new-webhook-delivery';

/** A runner's suspension of the step it runs (see `TaskStore.suspend`). */
export interface SuspendRequest {
  waitingFor: WaitTarget;
  /** The step that waits: it runs again from its start when the task is woken. */
  step: string;
  /** The wait's deadline, this many ms from now on the store's clock. */
  runAfterMs: number;
  /** Names of the step records to write with it (the waiting step, back to pending). */
  steps: readonly string[];
  /** Its `task.waiting`, appended with it (`seq` set). */
  events: readonly TaskEvent[];
  deliveries?: readonly NewWebhookDelivery[];
}

/**
 * `waiting`: written; `ready`: what it would wait for is already there (a
 * signal delivered, every child ended), nothing written, the lease still
 * held; `lost`: the lease is not held, nothing written.
 */
export type SuspendOutcome = 'waiting' | 'ready' | 'lost';

/** A signal sent to a task (`POST /tasks/{id}/signals/{name}`), with its `task.signalled` event. */
export interface NewSignal {
  name: string;
  /** JSON, as validated against the step's schema. */
  payload: unknown;
  at: number;
  event?: TaskEvent;
  deliveries?: readonly NewWebhookDelivery[];
}

/** A stored signal: `woken` when it woke the task waiting for it (then due now, `version` its row's). */
export interface SignalDelivered {
  woken: boolean;
  version: number;
}

/** A child task as its parent's wait and view read it. */
export interface ChildTask {
  id: string;
  type: string;
  status: TaskStatus;
  output: unknown;
  error: TaskError | null;
  createdAt: number;
}
