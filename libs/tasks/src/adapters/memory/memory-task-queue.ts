import type { Placement } from '../../model';
import type { Clock, ConsumeOptions, Dispatch, DispatchHandler, TaskQueue } from '../../ports';

interface Lane {
  handler?: DispatchHandler;
  concurrency: number;
  running: number;
  waiting: Array<{ taskId: string; priority: number; seq: number }>;
  queued: Set<string>;
}

export interface MemoryTaskQueueOptions {
  /**
   * Most messages held per lane. Past it a dispatch is dropped: the task row
   * stays pending and the sweeper dispatches it again later (back-pressure
   * without unbounded memory).
   */
  maxWaiting?: number;
}

/**
 * In-process queue for embedded mode: priorities, delays, a concurrency limit
 * per lane. Like BullMQ's job ids, a wake-up already queued is not added
 * twice: a task waits in a lane at most once, and a delayed wake-up with the
 * same task id and dedupe key (row version) as one still delayed is dropped.
 */
export class MemoryTaskQueue implements TaskQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly timers = new Set<() => void>();
  /** Job ids (task id and dedupe key) of the delayed wake-ups. */
  private readonly delayed = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private seq = 0;
  private closed = false;
  private consuming = true;

  constructor(
    private readonly clock: Clock,
    private readonly options: MemoryTaskQueueOptions = {},
  ) {}

  async dispatchMany(messages: readonly Dispatch[]): Promise<void> {
    for (const message of messages) await this.dispatch(message);
  }

  async dispatch(message: Dispatch): Promise<void> {
    if (this.closed) return;
    if (message.delayMs && message.delayMs > 0) {
      const job = message.dedupeKey === undefined ? message.taskId : `${message.taskId}.${message.dedupeKey}`;
      if (this.delayed.has(job)) return;
      this.delayed.add(job);
      const cancel = this.clock.setTimer(message.delayMs, () => {
        this.timers.delete(cancel);
        this.delayed.delete(job);
        void this.dispatch({ ...message, delayMs: 0 });
      });
      this.timers.add(cancel);
      return;
    }
    const lane = this.lane(message.queue, message.placement);
    if (lane.queued.has(message.taskId)) return;
    if (lane.waiting.length >= (this.options.maxWaiting ?? 10_000)) return;
    lane.queued.add(message.taskId);
    lane.waiting.push({ taskId: message.taskId, priority: message.priority, seq: this.seq++ });
    lane.waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.pump(lane);
  }

  async consume(queue: string, placement: Placement, handler: DispatchHandler, options: ConsumeOptions): Promise<void> {
    const lane = this.lane(queue, placement);
    lane.handler = handler;
    lane.concurrency = Math.max(1, options.concurrency);
    this.pump(lane);
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.delayed.clear();
    for (const lane of this.lanes.values()) {
      lane.waiting = [];
      lane.queued.clear();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('queue is closed');
  }

  /** Messages waiting in all lanes (for tests and health detail). */
  get size(): number {
    return [...this.lanes.values()].reduce((n, lane) => n + lane.waiting.length, 0);
  }

  private lane(queue: string, placement: Placement): Lane {
    const key = `${queue}:${placement}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { concurrency: 1, running: 0, waiting: [], queued: new Set() };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private pump(lane: Lane): void {
    while (
      !this.closed &&
      this.consuming &&
      lane.handler &&
      lane.running < lane.concurrency &&
      lane.waiting.length > 0
    ) {
      const next = lane.waiting.shift()!;
      lane.queued.delete(next.taskId);
      lane.running++;
      const run: Promise<void> = Promise.resolve()
        .then(() => lane.handler!(next.taskId))
        .catch(() => undefined)
        .finally(() => {
          lane.running--;
          this.inFlight.delete(run);
          this.pump(lane);
        });
      this.inFlight.add(run);
    }
  }
}
