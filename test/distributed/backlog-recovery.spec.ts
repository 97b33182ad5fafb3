import { randomBytes } from 'node:crypto';
import { Cluster, TEST_TIMINGS, waitFor } from './harness/cluster';
import { Timeline } from './harness/timeline';

const BACKLOG = 5_000;
/** Parallel REST submits of the backlog. */
const SUBMITTERS = 50;
/** Ten minutes per backlog task: the worker's slots for them stay full, the rest stays pending. */
const BACKLOG_INPUT = { ticks: 10, tickMs: 60_000 };
/** Random bytes deflate slowly (about 50 MB/s on one core): the victim's step lasts a second or more. */
const VICTIM_BYTES = 64 * 1024 * 1024;
const VICTIM_STEP = 'createZipArchive';
const LEASE_MS = Number(TEST_TIMINGS.TASKS_LEASE_MS);
const SWEEP_MS = Number(TEST_TIMINGS.TASKS_SWEEP_INTERVAL_MS);
/** A sweep pass that is slow under load, the dispatch, the claim's round trips. */
const ALLOWANCE_MS = 1_000;
/** How long past the bound the test keeps looking, to say how late (or never) the resume came. */
const OVERTIME_MS = 15_000;

/**
 * A worker dies while 5,000 overdue tasks are pending: the task it was
 * running must be resumed as promptly as with an empty database, that is
 * once its lease has expired and a sweep has seen it. The sweeper must not
 * serve the backlog first (it used to read the 500 due tasks with the oldest
 * `runAt`, a scan a running task with a newer `runAt` never reached).
 *
 * The backlog and the victim are in different queues on purpose: 5,000
 * countdowns of ten minutes in the `default` queue (the worker's 8 slots for
 * it stay full, the rest stays pending and overdue for the whole test), the
 * victim a `create-zip` in the `files` queue, whose worker slots are free.
 * With both in one queue the re-dispatched victim would wait in the queue
 * behind the backlog's wake-ups (BullMQ serves a queue in order), whatever
 * the sweeper does; that would be a test of queue priorities, not of the
 * sweeper. Here the sweeper's choice is the only thing between the kill and
 * the resume.
 *
 * What is measured: from the SIGKILL to the victim's next claim (the claim
 * log's trigger, on PostgreSQL's clock, the same host clock as the test's).
 * The bound: the dead worker's last heartbeat was before the kill, so its
 * lease expires at most LEASE_MS after it; two sweep intervals let a pass
 * see it; the new worker must be consuming too, so the bound counts from the
 * later of that and the moment the new worker is ready; plus ALLOWANCE_MS.
 */
describe('a worker killed mid-step while 5,000 overdue tasks are pending', () => {
  const cluster = new Cluster({ workers: 1 });
  const timeline = new Timeline();
  const mark = (what: string) => timeline.mark(what);

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    timeline.print('backlog-recovery timeline');
    await cluster.stop();
  }, 60_000);

  const counts = () => cluster.countsByStatus();

  /** The victim's row and its zip step, as PostgreSQL has them. */
  const victimRow = async (id: string) => {
    const [row] = await cluster.sql<{ status: string; lease_owner: string | null; run_at: string; step: string }>(
      `SELECT t.status, t.lease_owner, t.run_at, s.status AS step
         FROM stepwise_tasks t JOIN stepwise_task_steps s ON s.task_id = t.id AND s.name = $2
        WHERE t.id = $1`,
      [id, VICTIM_STEP],
    );
    return row;
  };

  it('resumes the dead worker task within a lease and two sweeps, and completes it', async () => {
    await cluster.diagnose(async () => {
      timeline.start();
      let next = 0;
      await Promise.all(
        Array.from({ length: SUBMITTERS }, async () => {
          while (next < BACKLOG) {
            next++;
            await cluster.submit('countdown', BACKLOG_INPUT);
          }
        }),
      );
      mark(`submitted ${BACKLOG} countdowns; ${JSON.stringify(await counts())}`);

      const victim = await cluster.submitFiles('create-zip', [
        { name: 'noise.bin', content: randomBytes(VICTIM_BYTES) },
      ]);
      const deadPid = cluster.workers[0]!.pid!;
      let row: Awaited<ReturnType<typeof victimRow>>;
      await waitFor(
        async () => {
          row = await victimRow(victim.id);
          return row?.step === 'running' && Cluster.ownerPid(row.lease_owner) === deadPid;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 25,
          what: () => `the victim's ${VICTIM_STEP} to run (${JSON.stringify(row)})`,
        },
      );

      const killedAt = Date.now();
      expect(await cluster.killWorker(0, 'SIGKILL')).toMatchObject({ code: null });
      mark(`SIGKILL worker (pid ${deadPid}) with victim ${victim.id} mid-step`);
      // Mid-step indeed: nothing of the victim was finished when its worker died.
      expect(await victimRow(victim.id)).toMatchObject({ status: 'running', step: 'running' });
      // The backlog the sweeper has to see past: overdue pending tasks older than the victim.
      const [{ n: older }] = await cluster.sql<{ n: string }>(
        `SELECT count(*) AS n FROM stepwise_tasks WHERE status = 'pending' AND run_at < $1`,
        [row!.run_at],
      );
      expect(Number(older)).toBeGreaterThan(BACKLOG - 100);
      mark(`${older} pending tasks older than the victim`);

      await cluster.startWorker(0);
      const readyAt = Date.now();
      const newPid = cluster.workers[0]!.pid!;
      mark(`new worker (pid ${newPid}) ready, ${readyAt - killedAt} ms after the kill`);

      const deadline = Math.max(killedAt + LEASE_MS + 2 * SWEEP_MS, readyAt) + ALLOWANCE_MS;
      const reclaim = async () => (await cluster.claims(victim.id)).find((c) => c.at >= killedAt && c.pid !== deadPid);
      await waitFor(async () => (await reclaim()) !== undefined, {
        timeoutMs: deadline + OVERTIME_MS - Date.now(),
        intervalMs: 50,
      }).catch(() => undefined);
      const claim = await reclaim();
      const after = claim ? claim.at - killedAt : null;
      mark(
        claim
          ? `victim claimed again by pid ${claim.pid}, ${after} ms after the kill`
          : `victim not claimed again in ${Date.now() - killedAt} ms`,
      );
      const report = {
        victim: victim.id,
        claimedAgainAfterKillMs: after ?? `not within ${deadline + OVERTIME_MS - killedAt} ms`,
        boundAfterKillMs: deadline - killedAt,
        newWorkerReadyAfterKillMs: readyAt - killedAt,
        pendingOlderThanVictimAtKill: Number(older),
        tasksNow: Object.entries(await counts())
          .map(([status, n]) => `${n} ${status}`)
          .join(' '),
      };
      const inTime = 'claimed again within the bound';
      const late = Object.entries(report).map(([k, v]) => `${k} ${v}`);
      expect(claim !== undefined && claim.at <= deadline ? inTime : `late: ${late.join(', ')}`).toBe(inTime);
      expect(claim!.pid).toBe(newPid);

      const done = await cluster.waitForStatus(victim.id, ['completed', 'failed', 'cancelled'], 30_000);
      mark(`victim ${done.status}`);
      expect(done.status).toBe('completed');
      const step = done.steps.find((s) => s.name === VICTIM_STEP)!;
      expect(step).toMatchObject({ status: 'completed', attempts: 2 });
      const runs = (await cluster.events(victim.id)).filter((e) => e.type === 'task.step' && e.step === VICTIM_STEP);
      expect(runs.map((e) => e.stepStatus)).toEqual(['running', 'running', 'completed']);
      expect(cluster.deadProcesses()).toEqual([]);
    })();
  }, 150_000);
});
