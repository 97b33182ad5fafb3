import type { Placement } from '../model';

/** A wake-up call: carries ids only, the store holds the truth. */
export interface Dispatch {
  taskId: string;
  queue: string;
  placement: Placement;
  priority: number;
  delayMs?: number;
  /**
   * Distinguishes a new wake-up from a duplicate of one already queued (the
   * task's version): same task id and key are delivered at most once.
   */
  dedupeKey?: string;
}

export type DispatchHandler = (taskId: string) => Promise<void>;

export interface ConsumeOptions {
  concurrency: number;
}

/**
 * Queue port. Delivery is at-least-once; a duplicate dispatch of a task that is
 * already queued may be dropped. Handlers must tolerate stale messages.
 */
export interface TaskQueue {
  dispatch(message: Dispatch): Promise<void>;
  /** Sends many wake-ups at once (one round trip where the queue can), as `dispatch` would each. */
  dispatchMany(messages: readonly Dispatch[]): Promise<void>;
  /** Starts consuming one queue for one placement. */
  consume(queue: string, placement: Placement, handler: DispatchHandler, options: ConsumeOptions): Promise<void>;
  /**
   * Stops taking new messages in this process, while the handlers already
   * running go on (and may still dispatch). Graceful shutdown calls it first,
   * so that the wake-ups of the tasks it hands back go to other processes.
   */
  stopConsuming(): Promise<void>;
  /** Stops taking new messages; resolves when in-flight handlers returned. */
  close(): Promise<void>;
  ping(): Promise<void>;
}
