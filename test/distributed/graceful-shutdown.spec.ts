import { Cluster, waitFor, type TaskView } from './harness/cluster';

// A lease long enough that expiry and the pending grace cannot pass for a hand-over:
// only the graceful path (abort at the end of the grace, release, wake-up) is that fast.
const LEASE_MS = 6_000;
const GRACE_MS = 500;
const PENDING_GRACE_MS = 4_000;
const TASKS = 4;

/**
 * SIGTERM to a worker running steps: it stops taking work, gives the steps
 * the shutdown grace, then hands them back (lease released, attempt not
 * counted) so that another worker resumes them at once, and exits cleanly.
 */
describe('graceful shutdown of a busy worker', () => {
  const cluster = new Cluster({
    workers: 1,
    env: {
      TASKS_LEASE_MS: String(LEASE_MS),
      TASKS_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      TASKS_PENDING_GRACE_MS: String(PENDING_GRACE_MS),
    },
  });
  let tasks: TaskView[] = [];
  let pidA = 0;
  let pidB = 0;
  let sigterm = 0;
  let exit: { code: number | null; ms: number; timedOut: boolean } | undefined;

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('SIGTERMs worker A while it runs the tasks, with worker B standing by', async () => {
    await cluster.diagnose(async () => {
      // Worker A is alone when the tasks start: they all run there.
      tasks = await Promise.all(
        Array.from({ length: TASKS }, () => cluster.submit('countdown', { ticks: 100, tickMs: 100 })),
      );
      pidA = cluster.workers[0]!.pid!;
      await waitFor(
        async () => {
          const leases = await Promise.all(tasks.map((t) => cluster.lease(t.id)));
          return leases.every((l) => l?.status === 'running' && Cluster.ownerPid(l.leaseOwner) === pidA);
        },
        { what: () => `the ${TASKS} tasks to run on worker A (pid ${pidA})` },
      );
      pidB = (await cluster.startWorker(1)).pid!;
      await waitFor(async () => (await Promise.all(tasks.map((t) => cluster.get(t.id)))).every((v) => v.progress > 0), {
        what: () => 'every task to tick',
      });
      for (const view of await Promise.all(tasks.map((t) => cluster.get(t.id)))) {
        expect(view.steps[0].attempts).toBe(1);
      }

      sigterm = Date.now();
      exit = await cluster.killWorker(0, 'SIGTERM', 20_000);
    })();
  }, 90_000);

  it('exits with code 0 within the grace period and a margin', () => {
    expect(exit).toBeDefined();
    expect(exit!.timedOut).toBe(false);
    // Nest re-raises the signal after its hooks unless told to exit: a null code means "killed by SIGTERM".
    expect(exit!.code).toBe(0);
    expect(exit!.ms).toBeLessThan(GRACE_MS + 3_000);
  });

  it('hands every task to worker B at once, without spending an attempt', async () => {
    await cluster.diagnose(async () => {
      expect(sigterm).toBeGreaterThan(0);
      await waitFor(
        async () => {
          const claims = await cluster.claims();
          return tasks.every((t) => claims.some((c) => c.taskId === t.id && c.pid === pidB));
        },
        { timeoutMs: 20_000, what: () => 'worker B to claim every task' },
      );
      const claims = await cluster.claims();
      const takeovers = tasks.map((t) => {
        const byB = claims.find((c) => c.taskId === t.id && c.pid === pidB)!;
        return { id: t.id, afterSigterm: byB.at - sigterm };
      });
      console.log(`takeover after SIGTERM (ms): ${takeovers.map((t) => t.afterSigterm).join(', ')}`);
      for (const t of takeovers) {
        // Well before the lease of A would have run out, and before a sweep would have found it pending.
        expect(t).toMatchObject({ id: t.id, afterSigterm: expect.any(Number) });
        expect(t.afterSigterm).toBeLessThan(LEASE_MS);
        expect(t.afterSigterm).toBeLessThan(GRACE_MS + 1_500);
      }
      // Only A then B claimed each task: nobody else in between.
      for (const t of tasks) {
        expect(claims.filter((c) => c.taskId === t.id).map((c) => c.pid)).toEqual([pidA, pidB]);
      }
      // The shutdown is not the step's fault: the attempt A spent is given back.
      for (const view of await Promise.all(tasks.map((t) => cluster.get(t.id)))) {
        expect({ id: view.id, attempts: view.steps[0].attempts }).toEqual({ id: view.id, attempts: 1 });
      }
    })();
  }, 30_000);

  it('completes the tasks on worker B, each step completed once', async () => {
    await cluster.diagnose(async () => {
      for (const t of tasks) {
        const done = await cluster.waitForStatus(t.id, ['completed', 'failed', 'cancelled'], 30_000);
        expect(done.status).toBe('completed');
        expect(done.steps[0].attempts).toBe(1);
        const steps = (await cluster.events(t.id)).filter((e) => e.type === 'task.step');
        expect(steps.map((e) => e.stepStatus)).toEqual(['running', 'running', 'completed']);
      }
    })();
  }, 60_000);
});
