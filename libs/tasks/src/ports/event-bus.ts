import type { TaskEvent } from '../model';

export type EventListener = (event: TaskEvent) => void;

/**
 * Fan-out of task events to every process (API instances, workers). Also
 * carries `task.cancel_requested`, which is how a cancel reaches the worker
 * running the step.
 */
export interface EventBus {
  publish(event: TaskEvent): Promise<void>;
  /** Returns a function that removes the listener. */
  subscribe(listener: EventListener): () => void;
  close(): Promise<void>;
}
