import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
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
const CLOSE_TIMEOUT_MS = 3_000;

/**
 * The queue port on BullMQ: one BullMQ queue per task queue and placement.
 * Jobs carry the task id only; the job id makes a duplicate add a no-op.
 * BullMQ's own retries are off: the engine retries through the store.
 */
export class BullMqTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly prefix: string;
  private consuming = true;

  constructor(private readonly options: BullMqTaskQueueOptions) {
    this.prefix = options.prefix ?? 'stepwise';
  }

  async dispatch(message: Dispatch): Promise<void> {
    await this.add(message.queue, message.placement, message.taskId, {
      jobId: message.dedupeKey ? `${message.taskId}.${message.dedupeKey}` : message.taskId,
      priority: bullPriority(message.priority),
      delay: message.delayMs && message.delayMs > 0 ? message.delayMs : undefined,
    });
  }

  async consume(queue: string, placement: Placement, handler: DispatchHandler, options: ConsumeOptions): Promise<void> {
    const onJob = async (job: Job<{ taskId: string }>) => {
      // A fetch that was blocked waiting when consumption stopped still takes
      // the next job: pass it on to the other consumers instead of dropping it.
      if (!this.consuming) {
        return this.add(queue, placement, job.data.taskId, { jobId: `${job.id}.passed`, priority: job.opts.priority });
      }
      return handler(job.data.taskId);
    };
    const worker = new Worker<{ taskId: string }>(laneName(queue, placement), onJob, {
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

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    // Not waiting for the active jobs: they are the tasks being handed back.
    await Promise.allSettled(this.workers.map((w) => w.pause(true)));
  }

  async close(): Promise<void> {
    // Bounded: with Redis unreachable a graceful close would wait forever, and
    // nothing is lost by forcing it (in-flight work has already been handed back).
    // Workers first: a job they still run may be passing itself on through a queue.
    const closing = Promise.allSettled(this.workers.map((w) => w.close())).then(() =>
      Promise.allSettled([...this.queues.values()].map((q) => q.close())),
    );
    const forced = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    if ((await Promise.race([closing.then(() => 'closed'), forced])) !== 'closed') {
      for (const worker of this.workers) void worker.close(true).catch(() => undefined);
      for (const queue of this.queues.values()) void queue.disconnect().catch(() => undefined);
    }
    this.workers.length = 0;
    this.queues.clear();
  }

  async ping(): Promise<void> {
    const queue = this.queues.values().next().value ?? this.queue('health', 'api');
    await queue.count();
  }

  private async add(name: string, placement: Placement, taskId: string, options: JobsOptions): Promise<void> {
    const queue = this.queue(name, placement);
    await ready(queue);
    await queue.add('run', { taskId }, { removeOnComplete: true, removeOnFail: true, attempts: 1, ...options });
  }

  private queue(name: string, placement: Placement): Queue {
    const lane = laneName(name, placement);
    let queue = this.queues.get(lane);
    if (!queue) {
      // Fail fast while Redis is unreachable: a submit must not hang on its
      // wake-up call; the row is pending and the sweeper dispatches it later.
      const connection = { ...this.options.connection, enableOfflineQueue: false };
      queue = new Queue(lane, { connection, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.queues.set(lane, queue);
    }
    return queue;
  }
}

/** Waits for a new queue's connection, but not forever: Redis may be down. */
async function ready(queue: Queue, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function laneName(queue: string, placement: Placement): string {
  return `${queue}.${placement}`;
}

function bullPriority(priority: number): number {
  return Math.min(BULL_PRIORITY_MAX, Math.max(1, PRIORITY_ORIGIN - Math.round(priority)));
}
