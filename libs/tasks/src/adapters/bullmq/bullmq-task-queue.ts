import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import type { Placement } from '../../model';
import type { ConsumeOptions, Dispatch, DispatchHandler, TaskQueue } from '../../ports';
import { GroupCommit } from '../group-commit';

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
  /** Per lane: the dispatches of one moment go as one `addBulk` (one pipelined write to Redis). */
  private readonly dispatches = new Map<string, GroupCommit<JobSpec, void>>();
  private readonly workers: Worker[] = [];
  private readonly prefix: string;
  private consuming = true;

  constructor(private readonly options: BullMqTaskQueueOptions) {
    this.prefix = options.prefix ?? 'stepwise';
  }

  async dispatch(message: Dispatch): Promise<void> {
    const lane = laneName(message.queue, message.placement);
    let group = this.dispatches.get(lane);
    if (!group) {
      const queue = () => this.queue(message.queue, message.placement);
      group = new GroupCommit((jobs) => addBulk(queue(), jobs), DISPATCH_GROUPS);
      this.dispatches.set(lane, group);
    }
    await group.submit(jobOf(message));
  }

  /** One `addBulk` per lane. */
  async dispatchMany(messages: readonly Dispatch[]): Promise<void> {
    const lanes = new Map<string, { queue: Queue; jobs: JobSpec[] }>();
    for (const message of messages) {
      const lane = laneName(message.queue, message.placement);
      let batch = lanes.get(lane);
      if (!batch) lanes.set(lane, (batch = { queue: this.queue(message.queue, message.placement), jobs: [] }));
      batch.jobs.push(jobOf(message));
    }
    await Promise.all([...lanes.values()].map(({ queue, jobs }) => addBulk(queue, jobs)));
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
    await queue.add('run', { taskId }, { ...JOB_DEFAULTS, ...options });
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

/** A job as `addBulk` takes it. */
export interface JobSpec {
  name: string;
  data: { taskId: string };
  opts: JobsOptions;
}

/** The job of a wake-up: its id (task id and dedupe key) makes a duplicate add a no-op. */
export function jobOf(message: Dispatch): JobSpec {
  const jobId = message.dedupeKey ? `${message.taskId}.${message.dedupeKey}` : message.taskId;
  const delay = message.delayMs && message.delayMs > 0 ? message.delayMs : undefined;
  return {
    name: 'run',
    data: { taskId: message.taskId },
    opts: { ...JOB_DEFAULTS, jobId, priority: bullPriority(message.priority), delay },
  };
}

const JOB_DEFAULTS: JobsOptions = { removeOnComplete: true, removeOnFail: true, attempts: 1 };

/** Up to 100 jobs an `addBulk`, two at once per lane. */
export const DISPATCH_GROUPS = { maxBatch: 100, maxInFlight: 2 };

async function addBulk(queue: Queue, jobs: JobSpec[]): Promise<void[]> {
  await ready(queue);
  // One job alone takes the queue's `add` (one command, not a pipeline of one).
  if (jobs.length === 1) await queue.add(jobs[0].name, jobs[0].data, jobs[0].opts);
  else await queue.addBulk(jobs);
  return jobs.map(() => undefined);
}

/** Queues whose connection was ready once: past that, a command fails fast by itself (no offline queue). */
const readyOnce = new WeakSet<Queue>();

/** Waits for a new queue's connection, but not forever: Redis may be down. */
async function ready(queue: Queue, timeoutMs = 2_000): Promise<void> {
  if (readyOnce.has(queue)) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    readyOnce.add(queue);
  } finally {
    clearTimeout(timer);
  }
}

/** The BullMQ queue of one task queue and placement: `<queue>.<placement>`. */
export function laneName(queue: string, placement: Placement): string {
  return `${queue}.${placement}`;
}

function bullPriority(priority: number): number {
  return Math.min(BULL_PRIORITY_MAX, Math.max(1, PRIORITY_ORIGIN - Math.round(priority)));
}
