import type { Job, JobsOptions, Queue, Worker } from 'bullmq';
import { HostBullMqTaskQueue, type BullMqLane, type LaneJob } from './host-bullmq-task-queue';

/** A lane on fakes: the queue records what is added, the worker what it was told. */
function fakeLane(name: string) {
  const added: Array<{ data: LaneJob; opts: JobsOptions }> = [];
  const worker = {
    concurrency: 1,
    running: false,
    paused: false,
    closed: false,
    isRunning() {
      return this.running;
    },
    isPaused() {
      return this.paused;
    },
    async run() {
      this.running = true;
    },
    async resume() {
      this.paused = false;
    },
    async pause() {
      this.paused = true;
    },
    async close() {
      this.closed = true;
    },
    async waitUntilReady() {},
    emit() {
      return true;
    },
  };
  const bulks: number[] = [];
  const queue = {
    async add(_name: string, data: LaneJob, opts: JobsOptions) {
      added.push({ data, opts });
    },
    async addBulk(jobs: Array<{ data: LaneJob; opts: JobsOptions }>) {
      bulks.push(jobs.length);
      for (const { data, opts } of jobs) added.push({ data, opts });
    },
    async count() {
      return added.length;
    },
  };
  const lane: BullMqLane = { name, queue: queue as unknown as Queue, worker: worker as unknown as Worker };
  const deliver = (id: string, taskId: string, priority = 7) =>
    lane.handler!({ id, data: { taskId }, opts: { priority } } as unknown as Job<LaneJob>);
  return { lane, added, bulks, worker, deliver };
}

describe("HostBullMqTaskQueue (the queue port on the host app's queues and workers)", () => {
  it('adds a wake-up to the lane of its queue and placement, deduplicated by job id', async () => {
    const reports = fakeLane('reports.worker');
    const queue = new HostBullMqTaskQueue({ lanes: () => [reports.lane] });
    await queue.dispatch({ taskId: 't1', queue: 'reports', placement: 'worker', priority: 0, dedupeKey: '4' });
    expect(reports.added).toEqual([
      {
        data: { taskId: 't1' },
        opts: expect.objectContaining({ jobId: 't1.4', attempts: 1, removeOnComplete: true, removeOnFail: true }),
      },
    ]);
  });

  it('sends many wake-ups as one addBulk per lane', async () => {
    const api = fakeLane('reports.api');
    const worker = fakeLane('reports.worker');
    const queue = new HostBullMqTaskQueue({ lanes: () => [api.lane, worker.lane] });
    await queue.dispatchMany(
      ['t1', 't2', 't3'].map((taskId, i) => ({
        taskId,
        queue: 'reports',
        placement: i === 1 ? ('api' as const) : ('worker' as const),
        priority: 0,
      })),
    );
    expect(worker.bulks).toEqual([2]);
    expect(worker.added.map((job) => job.opts.jobId)).toEqual(['t1', 't3']);
    // One job alone is one add, not a bulk of one.
    expect([api.bulks, api.added.map((job) => job.opts.jobId)]).toEqual([[], ['t2']]);
  });

  it('refuses a wake-up for a lane nobody registered, saying how to register it', async () => {
    const queue = new HostBullMqTaskQueue({ lanes: () => [fakeLane('reports.worker').lane], missingHint: 'add it' });
    await expect(queue.dispatch({ taskId: 't1', queue: 'reports', placement: 'api', priority: 0 })).rejects.toThrow(
      'Stepwise: no BullMQ queue reports.api is registered for queue "reports": add it',
    );
  });

  it("starts a lane's worker with the engine's concurrency and hands it the task ids", async () => {
    const reports = fakeLane('reports.worker');
    const queue = new HostBullMqTaskQueue({ lanes: () => [reports.lane] });
    const handled: string[] = [];
    await queue.consume('reports', 'worker', async (id) => void handled.push(id), { concurrency: 6 });
    expect(reports.worker).toMatchObject({ running: true, concurrency: 6 });
    await reports.deliver('j1', 't1');
    expect(handled).toEqual(['t1']);
  });

  it('leaves alone a placement no task of the queue has a step on', async () => {
    const queue = new HostBullMqTaskQueue({ lanes: () => [fakeLane('reports.worker').lane] });
    await expect(queue.consume('reports', 'api', async () => undefined, { concurrency: 1 })).resolves.toBeUndefined();
  });

  it('fails the start when a task of the app dispatches on a lane nobody registered', async () => {
    const queue = new HostBullMqTaskQueue({
      lanes: () => [fakeLane('reports.worker').lane],
      required: () => [
        { lane: 'reports.worker', task: 'report' },
        { lane: 'mail.worker', task: 'mailing' },
      ],
      missingHint: 'list it',
    });
    await expect(queue.consume('reports', 'worker', async () => undefined, { concurrency: 1 })).rejects.toThrow(
      'Stepwise: no BullMQ queue mail.worker is registered for task "mailing": list it',
    );
  });

  it('after consumption stopped, passes a job it still receives on to the other consumers, then closes its workers', async () => {
    const reports = fakeLane('reports.worker');
    const queue = new HostBullMqTaskQueue({ lanes: () => [reports.lane] });
    const handled: string[] = [];
    await queue.consume('reports', 'worker', async (id) => void handled.push(id), { concurrency: 1 });
    await queue.stopConsuming();
    expect(reports.worker.paused).toBe(true);

    await reports.deliver('t9.3', 't9', 42);
    expect(handled).toEqual([]);
    expect(reports.added).toEqual([
      { data: { taskId: 't9' }, opts: expect.objectContaining({ jobId: 't9.3.passed', priority: 42 }) },
    ]);
    await queue.close();
    expect(reports.worker.closed).toBe(true);
  });
});
