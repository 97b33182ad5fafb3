import { Cluster, TEST_TIMINGS, skewedClock, waitFor, type ClaimRow, type EventRow } from './harness/cluster';

const TASKS = 200;
const SKEW_MS = 60_000;
const SKEWED = 1;
/** Four ticks of 350 ms: each step lives through two heartbeats (a third of the 2 s lease). */
const INPUT = { ticks: 4, tickMs: 350 };
const STEP = 'countDown';
const LEASE_MS = Number(TEST_TIMINGS.TASKS_LEASE_MS);

/**
 * Two workers, one of them with its wall clock 60 s ahead of everything else
 * (set inside its process: see harness/skewed-clock.cjs), run 200 countdowns
 * whose steps outlive several lease renewals. A lease must mean the same
 * thing to both: the fast clock must neither see the other worker's live
 * leases as long expired (and take its tasks over), nor make its own leases
 * last a minute. So: every task completes, each was claimed once, and each
 * step ran once. Both workers stay alive throughout, so a second claim of a
 * task can only be a stolen lease.
 */
describe('a worker whose clock runs 60 s ahead', () => {
  const cluster = new Cluster({ workers: 2, worker: (i) => (i === SKEWED ? skewedClock(SKEW_MS) : {}) });
  const ids: string[] = [];
  /** What the run left, read once it is over (or timed out). */
  let run: { events: EventRow[]; claims: ClaimRow[]; attempts: Map<string, number>; pids: number[] } | undefined;
  /** The run's results; the tests after the first read them. */
  const ran = () => {
    if (!run) throw new Error('the workload (the first test of this file) did not run');
    return run;
  };
  /** Per lease owner: the furthest its leases reached past PostgreSQL's clock, sampled during the run. */
  const leaseReach = new Map<string, number>();

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const counts = () => cluster.countsByStatus();

  it('completes all 200 tasks, with both workers alive throughout', async () => {
    await cluster.diagnose(async () => {
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const rows = await cluster.sql<{ owner: string; reach: string }>(
            `SELECT lease_owner AS owner,
                    max(lease_expires_at) - (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS reach
               FROM stepwise_tasks WHERE status = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner`,
          );
          for (const r of rows)
            leaseReach.set(r.owner, Math.max(leaseReach.get(r.owner) ?? -Infinity, Number(r.reach)));
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      try {
        for (let i = 0; i < TASKS; i += 20) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(20, TASKS - i) }, () => cluster.submit('countdown', INPUT)),
          );
          ids.push(...batch.map((t) => t.id));
        }
        await waitFor(async () => isSettled(await counts()), {
          timeoutMs: 60_000,
          intervalMs: 200,
          what: () => `all ${TASKS} tasks to finish`,
        });
        expect(await counts()).toEqual({ completed: TASKS });
        expect(cluster.deadProcesses()).toEqual([]);
      } finally {
        sampling = false;
        await sampler;
        const steps = await cluster.sql<{ task_id: string; attempts: number }>(
          'SELECT task_id, attempts FROM stepwise_task_steps WHERE name = $1',
          [STEP],
        );
        run = {
          events: await cluster.events(),
          claims: await cluster.claims(),
          attempts: new Map(steps.map((s) => [s.task_id, Number(s.attempts)])),
          pids: cluster.workers.map((w) => w!.pid!),
        };
      }
    })();
  }, 120_000);

  it('ran tasks on both workers, one of them really 60 s ahead', () => {
    const { claims, pids } = ran();
    // The preload measured the shift inside the process it runs in.
    const banner = Cluster.lines(cluster.workers[SKEWED]).find((l) => l.startsWith('skewed-clock:'));
    const measured = Number(/runs (-?\d+) ms/.exec(banner ?? '')?.[1]);
    expect({ banner, measuredWithin100Ms: Math.abs(measured - SKEW_MS) <= 100 }).toEqual({
      banner,
      measuredWithin100Ms: true,
    });
    expect(Cluster.lines(cluster.workers[1 - SKEWED]).some((l) => l.startsWith('skewed-clock:'))).toBe(false);
    // Both took part: otherwise nothing was compared.
    const byWorker = pids.map((pid) => new Set(claims.filter((c) => c.pid === pid).map((c) => c.taskId)).size);
    expect({ tasksClaimedByWorker: byWorker, enough: byWorker.every((n) => n >= 20) }).toEqual({
      tasksClaimedByWorker: byWorker,
      enough: true,
    });
  });

  it('never takes a lease from a live holder: each task was claimed once', () => {
    const { claims, pids } = ran();
    const name = (pid: number) =>
      pid === pids[SKEWED] ? 'skewed' : pid === pids[1 - SKEWED] ? 'normal' : `pid ${pid}`;
    const byTask = new Map<string, ClaimRow[]>();
    for (const c of claims) byTask.set(c.taskId, [...(byTask.get(c.taskId) ?? []), c]);
    const stolen = ids
      .filter((id) => (byTask.get(id)?.length ?? 0) > 1)
      .map((id) => {
        const [first, ...later] = byTask.get(id)!;
        return `${id}: ${name(first.pid)}, then ${later.map((c) => `${name(c.pid)} ${c.at - first.at} ms later`).join(', ')}`;
      });
    const unclaimed = ids.filter((id) => !byTask.has(id));
    expect({ stolen: stolen.length, examples: stolen.slice(0, 5), unclaimed }).toEqual({
      stolen: 0,
      examples: [],
      unclaimed: [],
    });
  });

  it("gives leases that end a lease from now on the shared clock, the fast worker's too", () => {
    // A lease written on the fast clock would reach a minute past everyone else's "now": the
    // fast worker's tasks would wait that long to be resumed if it died.
    const reach = ran().pids.map((pid) => {
      const owned = [...leaseReach].filter(([owner]) => Cluster.ownerPid(owner) === pid).map(([, ms]) => ms);
      return owned.length ? Math.max(...owned) : null;
    });
    const within = reach.every((ms) => ms !== null && ms <= LEASE_MS + 250);
    expect({ furthestLeaseMsByWorker: reach, within }).toEqual({ furthestLeaseMsByWorker: reach, within: true });
  });

  it('runs each step once: one attempt, one running and one completed event per task', () => {
    const { events, attempts } = ran();
    const stepEvents = (status: string) =>
      tally(events.filter((e) => e.type === 'task.step' && e.stepStatus === status));
    const running = stepEvents('running');
    const completed = stepEvents('completed');
    const twice = ids
      .filter((id) => attempts.get(id) !== 1 || running.get(id) !== 1 || completed.get(id) !== 1)
      .map(
        (id) =>
          `${id}: attempts ${attempts.get(id)}, running ${running.get(id) ?? 0}, completed ${completed.get(id) ?? 0}`,
      );
    expect({ notOnce: twice.length, examples: twice.slice(0, 5) }).toEqual({ notOnce: 0, examples: [] });
  });
});

/** Every task finished (completed or not: the assertion tells). */
function isSettled(counts: Record<string, number>): boolean {
  const open = Object.entries(counts).filter(([status]) => !['completed', 'failed', 'cancelled'].includes(status));
  return Object.values(counts).reduce((a, b) => a + b, 0) >= TASKS && open.every(([, n]) => n === 0);
}

/** Events per task (of the one step the countdown has). */
function tally(events: EventRow[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of events) if (e.step === STEP) n.set(e.taskId, (n.get(e.taskId) ?? 0) + 1);
  return n;
}
