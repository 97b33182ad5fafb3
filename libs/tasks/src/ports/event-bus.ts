import type { TaskEvent, TaskEventType } from '../model';

export type EventListener = (event: TaskEvent) => void;

/** What a listener wants; without `types`, every event. */
export interface EventSubscription {
  /** Only events of these types: a bus may then not even receive the others (a worker wants only cancels). */
  types?: readonly TaskEventType[];
}

/**
 * Fan-out of task events to every process (API instances, workers). Also
 * carries `task.cancel_requested`, which is how a cancel reaches the worker
 * running the step.
 */
export interface EventBus {
  publish(event: TaskEvent): Promise<void>;
  /** Returns a function that removes the listener. */
  subscribe(listener: EventListener, subscription?: EventSubscription): () => void;
  /**
   * Resolves once the subscriptions made so far receive events: a reader
   * that subscribes, awaits this, then reads the log misses nothing in
   * between. Absent: a bus whose subscriptions are active at once.
   */
  whenReady?(): Promise<void>;
  close(): Promise<void>;
}
