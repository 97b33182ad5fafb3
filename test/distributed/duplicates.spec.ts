import { Job, Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { newTask } from '../../libs/tasks/src/adapters/testing/store-contract';
import { initializeStepwiseDataSource, TypeOrmTaskStore } from '../../libs/tasks/src/adapters/typeorm';
import { Cluster, waitFor } from './harness/cluster';

/**
 * Seed 002's first two rows on the real thing: a wake-up delivered twice
 * runs the step once; two claimants of one task, one wins.
 */
describe('duplicate deliveries and racing claims', () => {
  const cluster = new Cluster({ workers: 2 });
  let queue: Queue | undefined;
  const dataSources: DataSource[] = [];

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    for (const ds of dataSources) await ds.destroy().catch(() => undefined);
    await cluster.stop();
  }, 60_000);

  /** Adds a job to the lane the countdown's worker step listens on, as the BullMQ adapter does. */
  const deliverAgain = async (taskId: string, jobId: string): Promise<Job> => {
    // Lanes are `<queue>.<placement>` under the `stepwise` prefix (bullmq-task-queue.ts).
    queue ??= new Queue('default.worker', {
      prefix: 'stepwise',
      connection: { host: '127.0.0.1', port: cluster.redis.port },
    });
    return queue.add('run', { taskId }, { jobId, attempts: 1, removeOnComplete: false, removeOnFail: false });
  };

  /** Waits until a worker has consumed the job (its handler returned). */
  const consumed = (job: Job) =>
    waitFor(async () => ['completed', 'failed'].includes(await job.getState()), {
      timeoutMs: 20_000,
      what: () => `job ${job.id} to be consumed`,
    });

  it('runs the step once when the wake-up is delivered again, during the run and after it', async () => {
    await cluster.diagnose(async () => {
      const task = await cluster.submit('countdown', { ticks: 10, tickMs: 100 });
      await waitFor(async () => (await cluster.get(task.id)).progress > 0, {
        what: () => `task ${task.id} to make progress`,
      });
      // A second copy of the wake-up while a worker runs the task: its lease makes the claim fail.
      const during = await deliverAgain(task.id, `${task.id}.duplicate-during`);
      expect((await cluster.get(task.id)).status).toBe('running');

      const done = await cluster.waitForStatus(task.id, ['completed', 'failed', 'cancelled'], 20_000);
      expect(done.status).toBe('completed');
      await consumed(during);
      // And again once it is terminal: not claimable at all.
      const after = await deliverAgain(task.id, `${task.id}.duplicate-after`);
      await consumed(after);
      // Both duplicates were consumed without error (a handler that threw would leave them failed).
      expect([await during.getState(), await queue!.getJobState(after.id!)]).toEqual(['completed', 'completed']);

      const view = await cluster.get(task.id);
      expect(view.status).toBe('completed');
      expect(view.steps[0].attempts).toBe(1);
      const events = (await cluster.events(task.id)).filter((e) => e.type !== 'task.progress');
      expect(events.map((e) => [e.type, e.step, e.stepStatus])).toEqual([
        ['task.created', null, null],
        ['task.step', 'countDown', 'running'],
        ['task.step', 'countDown', 'completed'],
        ['task.completed', null, null],
      ]);
      expect(await cluster.claims(task.id)).toHaveLength(1);
    })();
  }, 60_000);

  it('lets exactly one of two stores on the same PostgreSQL win each claim', async () => {
    // A database of its own on the cluster's server: the cluster's sweepers must not claim these tasks.
    await cluster.sql('CREATE DATABASE claim_race');
    const url = cluster.postgres.url.replace(/\/postgres$/, '/claim_race');
    // Two data sources, two connection pools: two processes as far as PostgreSQL can tell.
    const [a, b] = await Promise.all([initializeStepwiseDataSource({ url }), initializeStepwiseDataSource({ url })]);
    dataSources.push(a, b);
    const storeA = new TypeOrmTaskStore(a);
    const storeB = new TypeOrmTaskStore(b);

    const rounds = 40;
    const wins = { A: 0, B: 0 };
    for (let i = 0; i < rounds; i++) {
      const { task } = await storeA.create(newTask());
      const now = Date.now();
      const claim = (store: TypeOrmTaskStore, workerId: string) =>
        store.claim({ taskId: task.id, workerId, leaseMs: 60_000, now }).then((c) => c?.task ?? null);
      // Who asks first alternates, so that neither side is favoured by the order of the calls.
      const [byA, byB] =
        i % 2 === 0
          ? await Promise.all([claim(storeA, 'worker-A'), claim(storeB, 'worker-B')])
          : (await Promise.all([claim(storeB, 'worker-B'), claim(storeA, 'worker-A')])).reverse();
      expect([byA, byB].filter((c) => c !== null)).toHaveLength(1);
      const [winner, winnerStore, loserId] = byA ? [byA, storeA, 'worker-B'] : [byB!, storeB, 'worker-A'];
      wins[byA ? 'A' : 'B']++;

      const [row] = await a.query('SELECT lease_owner, version FROM stepwise_tasks WHERE id = $1', [task.id]);
      expect(row.lease_owner).toBe(winner.leaseOwner);
      // The loser's writes are refused; the winner's go through.
      const loserStore = winnerStore === storeA ? storeB : storeA;
      expect(await loserStore.save({ ...winner, progress: 0.5 }, loserId)).toBe(false);
      expect((await loserStore.renewLease(task.id, loserId, 120_000, now)).held).toBe(false);
      expect(await winnerStore.save({ ...winner, progress: 0.25 }, winner.leaseOwner!)).toBe(true);
      expect((await storeB.get(task.id))!.progress).toBe(0.25);
    }
    // Both sides won some races: the claims really did run against each other.
    expect(wins.A).toBeGreaterThan(0);
    expect(wins.B).toBeGreaterThan(0);
  }, 60_000);
});
