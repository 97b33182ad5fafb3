import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Placement } from '../../model';
import type { ConsumeOptions, Dispatch, DispatchHandler, TaskQueue } from '../../ports';

export interface BullMqTaskQueueOptions {
  /** Redis connection (ioredis options, or `{ url }`). */
  connection: ConnectionOptions;
  /** Key prefix in Redis. Default `stepwise`. */
  prefix?: string;
}

/** Stepwise priorities: higher runs first. BullMQ's: 1 runs first, 0 means none. */
const PRIORITY_ORIGIN = 1_000_000;
const BULL_PRIORITY_MAX = 2_097_151;

/**
 * The queue port on BullMQ: one BullMQ queue per task queue and placement.
 * Jobs carry the task id only; the job id makes a duplicate add a no-op.
 * BullMQ's own retries are off: the engine retries through the store.
 */
export class BullMqTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly prefix: string;

  constructor(private readonly options: BullMqTaskQueueOptions) {
    this.prefix = options.prefix ?? 'stepwise';
  }

  async dispatch(message: Dispatch): Promise<void> {
    const queue = this.queue(message.queue, message.placement);
    await queue.add(
      'run',
      { taskId: message.taskId },
      {
        jobId: message.dedupeKey ? `${message.taskId}.${message.dedupeKey}` : message.taskId,
        priority: bullPriority(message.priority),
        delay: message.delayMs && message.delayMs > 0 ? message.delayMs : undefined,
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 1,
      },
    );
  }

  async consume(queue: string, placement: Placement, handler: DispatchHandler, options: ConsumeOptions): Promise<void> {
    const worker = new Worker<{ taskId: string }>(laneName(queue, placement), async (job) => handler(job.data.taskId), {
      connection: this.options.connection,
      prefix: this.prefix,
      concurrency: options.concurrency,
      // A lost job is harmless (the sweeper re-dispatches from the store), a
      // re-delivered one too (the claim fails): no need for BullMQ's stall retries.
      maxStalledCount: 0,
      autorun: true,
    });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    this.workers.push(worker);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.workers.length = 0;
    this.queues.clear();
  }

  async ping(): Promise<void> {
    const queue = this.queues.values().next().value ?? this.queue('health', 'api');
    await queue.count();
  }

  private queue(name: string, placement: Placement): Queue {
    const lane = laneName(name, placement);
    let queue = this.queues.get(lane);
    if (!queue) {
      queue = new Queue(lane, { connection: this.options.connection, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.queues.set(lane, queue);
    }
    return queue;
  }
}

function laneName(queue: string, placement: Placement): string {
  return `${queue}.${placement}`;
}

function bullPriority(priority: number): number {
  return Math.min(BULL_PRIORITY_MAX, Math.max(1, PRIORITY_ORIGIN - Math.round(priority)));
}
