import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import type { Placement } from '../../model';
import type { ConsumeOptions, Dispatch, DispatchHandler, TaskQueue } from '../../ports';
import { GroupCommit } from '../group-commit';
import { DISPATCH_GROUPS, jobOf, laneName, type JobSpec } from './bullmq-task-queue';

/** What a Stepwise job carries: the task id, nothing else. */
export interface LaneJob {
  taskId: string;
}

/**
 * One lane (`<queue>.<placement>`) on BullMQ objects the host app owns: the
 * queue, and a worker created with autorun off, whose jobs go to `handler`.
 */
export interface BullMqLane {
  readonly name: string;
  readonly queue: Queue;
  /** Throws while the worker does not exist yet. */
  readonly worker: Worker;
  handler?: (job: Job<LaneJob>) => Promise<unknown>;
}

/** A lane some registered task dispatches on, and that task. */
export interface RequiredLane {
  lane: string;
  task: string;
}

export interface HostBullMqTaskQueueOptions {
  /**
   * The lanes, read at first use rather than at construction: their hosts
   * may be created after this queue, and their workers later still.
   */
  lanes: () => Iterable<BullMqLane>;
  /** The lanes the app's tasks need, checked when consumption starts. */
  required?: () => Iterable<RequiredLane>;
  /** How to name a missing lane's fix in the boot error. */
  missingHint?: string;
}

/** A wake-up call must not hang a submit while Redis is unreachable. */
const ADD_TIMEOUT_MS = 2_000;
/** How long the workers get to finish the jobs they hold at shutdown (passing them on). */
const CLOSE_TIMEOUT_MS = 3_000;

/**
 * The queue port on queues and workers the host app owns (those
 * `@nestjs/bullmq` creates): the same jobs, job ids, priorities and batches
 * as {@link BullMqTaskQueue}, on connections it does not create.
 * `consume()` starts a lane's worker (its concurrency from the engine),
 * `stopConsuming()` pauses it, `close()` closes the workers it started; the
 * queues are their owner's to close, at its own shutdown.
 */
export class HostBullMqTaskQueue implements TaskQueue {
  private byName: Map<string, BullMqLane> | undefined;
  private readonly started = new Set<Worker>();
  private readonly dispatches = new Map<BullMqLane, GroupCommit<JobSpec, void>>();
  private consuming = true;
  private checked = false;

  constructor(private readonly options: HostBullMqTaskQueueOptions) {}

  async dispatch(message: Dispatch): Promise<void> {
    const lane = this.lane(message.queue, message.placement);
    let group = this.dispatches.get(lane);
    if (!group) {
      // As BullMqTaskQueue: the dispatches of one moment go as one addBulk per lane.
      group = new GroupCommit((jobs) => addBulk(lane.queue, jobs), DISPATCH_GROUPS);
      this.dispatches.set(lane, group);
    }
    await group.submit(jobOf(message));
  }

  /** One `addBulk` per lane. */
  async dispatchMany(messages: readonly Dispatch[]): Promise<void> {
    const batches = new Map<BullMqLane, JobSpec[]>();
    for (const message of messages) {
      const lane = this.lane(message.queue, message.placement);
      batches.set(lane, [...(batches.get(lane) ?? []), jobOf(message)]);
    }
    await Promise.all([...batches].map(([lane, jobs]) => addBulk(lane.queue, jobs)));
  }

  async consume(queue: string, placement: Placement, handler: DispatchHandler, options: ConsumeOptions): Promise<void> {
    this.checkRequired();
    const lane = this.lanes().get(laneName(queue, placement));
    // No task on this queue has a step placed there: nothing is ever dispatched on it.
    if (!lane) return;
    const worker = workerOf(lane);
    lane.handler = async (job) => {
      if (this.consuming) return handler(job.data.taskId);
      // A fetch that was blocked waiting when consumption stopped still takes
      // the next job: pass it on to the other consumers instead of dropping it.
      await add(lane.queue, job.data.taskId, { jobId: `${job.id}.passed`, priority: job.opts.priority });
    };
    worker.concurrency = options.concurrency;
    this.consuming = true;
    this.started.add(worker);
    if (worker.isPaused()) {
      await worker.resume();
    } else if (!worker.isRunning()) {
      // Not awaited: run() resolves when the worker stops.
      worker.run().catch((error: unknown) => worker.emit('error', error as Error));
    }
    await worker.waitUntilReady();
  }

  async stopConsuming(): Promise<void> {
    this.consuming = false;
    // Not waiting for the active jobs: they are the tasks being handed back.
    await Promise.allSettled([...this.started].map((worker) => worker.pause(true)));
  }

  async close(): Promise<void> {
    await this.stopConsuming();
    // The workers this queue started are closed now, while the queues are still
    // open: a fetch blocked when consumption stopped may yet take a job, which
    // is passed on through its queue. Left to the owner's shutdown, the queue
    // could close first and the job be lost. (The owner's own close of a closed
    // worker is a no-op.) The queues stay open: the app may use them still.
    const workers = [...this.started];
    this.started.clear();
    const closing = Promise.allSettled(workers.map((worker) => worker.close()));
    // Bounded: with Redis unreachable a graceful close would wait forever.
    if ((await bounded(closing, CLOSE_TIMEOUT_MS).catch(() => 'timeout')) === 'timeout') {
      for (const worker of workers) void worker.close(true).catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    const lane = this.lanes().values().next().value;
    if (!lane) throw new Error('no BullMQ queue is registered for Stepwise');
    await bounded(lane.queue.count(), ADD_TIMEOUT_MS);
  }

  private lane(queue: string, placement: Placement): BullMqLane {
    const name = laneName(queue, placement);
    const lane = this.lanes().get(name);
    if (!lane) throw new Error(this.missing(name, `queue "${queue}"`));
    return lane;
  }

  private lanes(): Map<string, BullMqLane> {
    this.byName ??= new Map([...this.options.lanes()].map((lane) => [lane.name, lane]));
    return this.byName;
  }

  /** A task whose lane has no worker would never run: fail the boot instead. */
  private checkRequired(): void {
    if (this.checked) return;
    this.checked = true;
    const lanes = this.lanes();
    const missing = [...(this.options.required?.() ?? [])].filter((need) => !lanes.has(need.lane));
    if (missing.length > 0) {
      const names = (values: string[]) => [...new Set(values)].join(', ');
      throw new Error(this.missing(names(missing.map((m) => m.lane)), names(missing.map((m) => `task "${m.task}"`))));
    }
  }

  private missing(lanes: string, needed: string): string {
    const hint = this.options.missingHint ? `: ${this.options.missingHint}` : '';
    return `Stepwise: no BullMQ queue ${lanes} is registered for ${needed}${hint}`;
  }
}

function workerOf(lane: BullMqLane): Worker {
  try {
    return lane.worker;
  } catch (error) {
    throw new Error(
      `Stepwise: the BullMQ worker of queue ${lane.name} does not exist yet (${String(error)}). ` +
        'With BullModule extraOptions.manualRegistration, call BullRegistrar.register() before the app bootstraps.',
    );
  }
}

async function add(queue: Queue, taskId: string, options: JobsOptions): Promise<void> {
  await bounded(
    queue.add('run', { taskId }, { removeOnComplete: true, removeOnFail: true, attempts: 1, ...options }),
    ADD_TIMEOUT_MS,
  );
}

async function addBulk(queue: Queue, jobs: JobSpec[]): Promise<void[]> {
  // One job alone takes the queue's `add` (one command, not a pipeline of one).
  const adding: Promise<unknown> =
    jobs.length === 1 ? queue.add(jobs[0].name, jobs[0].data, jobs[0].opts) : queue.addBulk(jobs);
  await bounded(adding, ADD_TIMEOUT_MS);
  return jobs.map(() => undefined);
}

/** Rejects when `promise` has not settled within `ms`: Redis may be down. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
