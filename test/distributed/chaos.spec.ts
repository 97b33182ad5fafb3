import { Cluster, TEST_TIMINGS, waitFor, type EventRow } from './harness/cluster';
import { Timeline } from './harness/timeline';

const TASKS = 200;
const INPUT = { ticks: 5, tickMs: 80 };
const LEASE_MS = Number(TEST_TIMINGS.TASKS_LEASE_MS);
/** Time a re-dispatched task may wait in the queue behind the others. */
const BACKLOG_SLACK_MS = 10_000;

/**
 * 200 countdowns on two workers while Redis is flushed once and one worker
 * is killed with SIGKILL twice (and started again each time): every task
 * completes, none fails, no step completes twice, and the tasks a dead
 * worker held are resumed once its lease expires.
 */
describe('chaos: Redis flushed and a worker killed twice, under load', () => {
  const cluster = new Cluster({ workers: 2 });
  const ids: string[] = [];
  /** Per kill: when, and the tasks the victim held a lease on. */
  const kills: Array<{ at: number; pid: number; held: string[] }> = [];
  let events: EventRow[] = [];
  const timeline = new Timeline();
  const mark = (what: string) => timeline.mark(what);

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    timeline.print('chaos timeline');
    await cluster.stop();
  }, 60_000);

  const counts = () => cluster.countsByStatus();
  const done = async () => {
    const c = await counts();
    return (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
  };
  const whenDone = (fraction: number) =>
    waitFor(async () => (await done()) >= TASKS * fraction, {
      timeoutMs: 40_000,
      what: () => `${fraction * 100}% of the tasks to finish`,
    });

  /** Tasks whose lease the given worker holds right now. */
  const leasesOf = async (index: number): Promise<string[]> => {
    const rows = await cluster.sql<{ id: string }>(
      `SELECT id FROM stepwise_tasks WHERE status = 'running' AND lease_owner LIKE $1`,
      [`%:${cluster.workers[index]!.pid}:%`],
    );
    return rows.map((r) => r.id);
  };

  /** Once `fraction` of the tasks are done and worker `index` runs some, SIGKILLs it and starts it again. */
  const killWhenBusy = async (index: number, fraction: number) => {
    await whenDone(fraction);
    let held: string[] = [];
    await waitFor(async () => (held = await leasesOf(index)).length > 0, {
      timeoutMs: 20_000,
      what: () => `worker ${index} to hold a lease`,
    });
    const pid = cluster.workers[index]!.pid!;
    const at = Date.now();
    const { code } = await cluster.killWorker(index, 'SIGKILL');
    expect(code).toBeNull(); // died of the signal, no shutdown hook ran
    kills.push({ at, pid, held });
    mark(`SIGKILL worker ${index} (pid ${pid}) holding ${held.length} lease(s); ${JSON.stringify(await counts())}`);
    await cluster.startWorker(index);
    mark(`worker ${index} started again`);
  };

  it('completes every task exactly once', async () => {
    await cluster.diagnose(async () => {
      timeline.start();
      // Submitting overlaps the chaos: the flush and the kills hit a busy cluster.
      const submitting = (async () => {
        for (let i = 0; i < TASKS; i += 10) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(10, TASKS - i) }, () => cluster.submit('countdown', INPUT)),
          );
          ids.push(...batch.map((t) => t.id));
        }
        mark(`submitted ${ids.length}`);
      })();
      submitting.catch(() => undefined);

      await whenDone(0.05);
      const before = await counts();
      expect(before.pending ?? 0).toBeGreaterThan(0); // the flush loses real wake-ups
      cluster.flushRedis();
      mark(`FLUSHALL; ${JSON.stringify(before)}`);
      await killWhenBusy(1, 0.2);
      await killWhenBusy(1, 0.4);
      await submitting;

      await waitFor(async () => (await done()) >= TASKS, {
        timeoutMs: 75_000,
        intervalMs: 200,
        what: () => `every task to finish (${JSON.stringify(timeline.entries)})`,
      });
      mark(`all finished; ${JSON.stringify(await counts())}`);
      expect(await counts()).toEqual({ completed: TASKS });
      expect(cluster.deadProcesses()).toEqual([]);

      events = await cluster.events();
      const mine = new Set(ids);
      expect(events.filter((e) => !mine.has(e.taskId))).toEqual([]);
      expect(events.filter((e) => e.type === 'task.failed')).toEqual([]);
      const completed = tally(events, 'task.completed');
      const stepCompleted = tally(events, 'task.step', 'completed');
      const stepRunning = tally(events, 'task.step', 'running');
      const log = (id: string) =>
        events
          .filter((e) => e.taskId === id && e.type !== 'task.progress')
          .map((e) => `${e.type} ${e.step ?? ''} ${e.stepStatus ?? ''} ${e.status}`);
      for (const id of ids) {
        // The task's own log goes in the failure message: it shows what happened twice, or never.
        expect({ id, completed: completed.get(id), log: log(id) }).toMatchObject({ id, completed: 1 });
        expect({ id, stepCompleted: stepCompleted.get(`${id}/countDown`), log: log(id) }).toMatchObject({
          id,
          stepCompleted: 1,
        });
      }

      // The kills hit running work: tasks a dead worker held ran their step again elsewhere.
      const resumed = kills.flatMap((k) => k.held).filter((id) => (stepRunning.get(`${id}/countDown`) ?? 0) >= 2);
      expect(resumed.length).toBeGreaterThan(0);
      for (const view of await Promise.all(resumed.map((id) => cluster.get(id)))) {
        expect(view.steps[0].attempts).toBeGreaterThanOrEqual(2);
      }
      mark(`${resumed.length} interrupted task(s) resumed`);
    })();
  }, 150_000);

  it('resumes the tasks of a killed worker once their lease expires', async () => {
    expect(kills).toHaveLength(2);
    const claims = await cluster.claims();
    const late: string[] = [];
    let measured = 0;
    for (const kill of kills) {
      for (const id of kill.held) {
        // The first claim of the task by a live process after the kill (none: it had finished just before).
        const next = claims.find((c) => c.taskId === id && c.at >= kill.at && c.pid !== kill.pid);
        if (!next) continue;
        measured++;
        const delay = next.at - kill.at;
        // The lease runs out at most LEASE_MS after the kill (the last heartbeat was before it);
        // then a sweep (every 300 ms) re-dispatches it, and the new job waits its turn behind
        // the backlog (about 100 tasks at ~20/s here). The bound is far below BullMQ's own
        // stall check (30 s), which a re-dispatch under the old job id used to wait for.
        if (delay > LEASE_MS + BACKLOG_SLACK_MS) late.push(`${id}: claimed again ${delay} ms after the kill`);
      }
    }
    expect(measured).toBeGreaterThan(0);
    expect(late).toEqual([]);
  });
});

function tally(events: EventRow[], type: string, stepStatus?: string): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of events) {
    if (e.type !== type || (stepStatus && e.stepStatus !== stepStatus)) continue;
    const key = stepStatus ? `${e.taskId}/${e.step}` : e.taskId;
    n.set(key, (n.get(key) ?? 0) + 1);
  }
  return n;
}
