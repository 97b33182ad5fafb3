import type { TaskView } from '@stepwise/contract';
import { SignJWT } from 'jose';
import { Cluster, TERMINAL, waitFor } from './harness/cluster';

const SECRET = 'cluster-limits-test-secret-0123456789';
const token = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

interface Interval {
  taskId: string;
  owner: string;
  startedAt: number;
  finishedAt: number;
}

/**
 * Cluster-wide limits on two workers sharing PostgreSQL and Redis:
 * `throttled-countdown` declares `concurrency: { max: 1 }` and
 * `rateLimit: { max: 2, perMs: 1000 }`; the module's fairness
 * (`TASKS_MAX_RUNNING_PER_OWNER=1`) caps each owner's running tasks of every
 * type together (under the owner's advisory lock). The claims of
 * both workers check the limits in the database, under the type's advisory
 * lock: the step start and end times they record never overlap for the
 * `max: 1` type, and no second holds three starts.
 */
describe('cluster-wide limits across two workers', () => {
  const cluster = new Cluster({
    workers: 2,
    env: {
      TASKS_AUTH: 'jwt',
      TASKS_JWT_SECRET: SECRET,
      TASKS_MAX_RUNNING_PER_OWNER: '1',
      TASKS_CONCURRENCY: '4',
    },
  });
  const bearer: Record<string, string> = {};

  beforeAll(async () => {
    await cluster.start();
    for (const owner of ['alice', 'bob']) bearer[owner] = `Bearer ${await token(owner)}`;
  }, 120_000);

  afterAll(() => cluster.stop(), 60_000);

  const submit = async (owner: string, type: string, input: unknown): Promise<TaskView> => {
    const res = await cluster.fetch(`/tasks/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer[owner] },
      body: JSON.stringify(input),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as TaskView;
  };
  const view = async (owner: string, id: string): Promise<TaskView> => {
    const res = await cluster.fetch(`/tasks/${id}`, { headers: { authorization: bearer[owner] } });
    expect(res.status).toBe(200);
    return (await res.json()) as TaskView;
  };
  const statuses = async (ids: string[]) =>
    (
      await cluster.sql<{ id: string; status: string }>('SELECT id, status FROM stepwise_tasks WHERE id = ANY($1)', [
        ids,
      ])
    ).map((r) => r.status);
  const allEnded = (ids: string[]) => async () => (await statuses(ids)).every((s) => TERMINAL.includes(s));
  /**
   * Each task's run: from its claim, as the database's clock saw the claim's
   * UPDATE (the harness's claim log), to its step's end as the worker
   * recorded it before the write that freed the slot (one machine, one clock).
   */
  const intervals = async (ids: string[]): Promise<Interval[]> =>
    (
      await cluster.sql<Record<string, string>>(
        `SELECT c.task_id, t.owner, min(c.at) AS started_at, max(s.finished_at) AS finished_at
           FROM test_claims c JOIN stepwise_tasks t ON t.id = c.task_id JOIN stepwise_task_steps s ON s.task_id = c.task_id
          WHERE c.task_id = ANY($1) GROUP BY c.task_id, t.owner ORDER BY started_at`,
        [ids],
      )
    ).map((r) => ({
      taskId: r.task_id,
      owner: r.owner,
      startedAt: Number(r.started_at),
      finishedAt: Number(r.finished_at),
    }));
  const overlapping = (list: Interval[]) =>
    list
      .slice(1)
      .filter((next, i) => next.startedAt < list[i].finishedAt)
      .map((next) => next.taskId);

  it(
    'runs one `max: 1` task at a time across both workers, at most two starts a second, the held ones saying why',
    cluster.diagnose(async () => {
      const ids: string[] = [];
      // Alternate owners: the per-owner cap is not what holds them back here.
      for (let i = 0; i < 8; i++) {
        ids.push((await submit(i % 2 ? 'bob' : 'alice', 'throttled-countdown', { ticks: 2, tickMs: 60 })).id);
      }
      let sawHeld: TaskView['heldBack'];
      await waitFor(
        async () => {
          for (const [i, id] of ids.entries()) {
            const task = await view(i % 2 ? 'bob' : 'alice', id);
            if (task.status === 'pending' && task.heldBack) sawHeld = task.heldBack;
          }
          return sawHeld !== undefined;
        },
        { timeoutMs: 10_000, what: () => 'a held-back task in GET /tasks/{id}' },
      );
      expect(['concurrency', 'rate-limit']).toContain(sawHeld!.reason);
      expect(Number.isNaN(Date.parse(sawHeld!.since))).toBe(false);

      await waitFor(allEnded(ids), { timeoutMs: 60_000, what: () => 'every throttled task to end' });
      expect(await statuses(ids)).toEqual(ids.map(() => 'completed'));
      const runs = await intervals(ids);
      expect(runs).toHaveLength(ids.length);
      expect(overlapping(runs)).toEqual([]);
      const starts = runs.map((r) => r.startedAt);
      const crowded = starts.filter((start) => starts.filter((at) => at >= start && at < start + 1_000).length > 2);
      expect(crowded).toEqual([]);
      // Who claimed what: both workers served the type (logged, not asserted: the queue decides).
      const pids = new Set((await cluster.claims()).filter((c) => ids.includes(c.taskId)).map((c) => c.pid));
      console.log(`cluster limits: ${ids.length} throttled tasks claimed by ${pids.size} worker(s)`);
    }),
    90_000,
  );

  it(
    "lets bob's task run while alice's backlog waits for her one slot (fairness per owner)",
    cluster.diagnose(async () => {
      const alice: string[] = [];
      for (let i = 0; i < 3; i++) alice.push((await submit('alice', 'countdown', { ticks: 15, tickMs: 100 })).id);
      const bob = (await submit('bob', 'countdown', { ticks: 1, tickMs: 10 })).id;
      await waitFor(async () => (await statuses([bob]))[0] === 'completed', {
        timeoutMs: 15_000,
        what: () => "bob's task to complete",
      });
      // Alice's backlog is still there, held by her own cap, not by bob's task.
      const waiting = (await statuses(alice)).filter((s) => s === 'pending').length;
      expect(waiting).toBeGreaterThanOrEqual(1);
      const held = (await Promise.all(alice.map((id) => view('alice', id)))).filter((t) => t.heldBack);
      expect(held.map((t) => t.heldBack!.reason)).toContain('owner-concurrency');

      await waitFor(allEnded(alice), { timeoutMs: 60_000, what: () => "alice's tasks to end" });
      expect(overlapping(await intervals(alice))).toEqual([]);
    }),
    90_000,
  );

  it(
    "runs one of alice's tasks at a time whatever their types, on either worker (fairness across types)",
    cluster.diagnose(async () => {
      const alice = [
        (await submit('alice', 'countdown', { ticks: 6, tickMs: 100 })).id,
        (await submit('alice', 'throttled-countdown', { ticks: 6, tickMs: 100 })).id,
        (await submit('alice', 'countdown', { ticks: 6, tickMs: 100 })).id,
      ];
      const bob = (await submit('bob', 'countdown', { ticks: 1, tickMs: 10 })).id;
      await waitFor(async () => (await statuses([bob]))[0] === 'completed', {
        timeoutMs: 15_000,
        what: () => "bob's task to complete",
      });
      await waitFor(allEnded(alice), { timeoutMs: 60_000, what: () => "alice's tasks to end" });
      expect(await statuses(alice)).toEqual(['completed', 'completed', 'completed']);
      // Two types, one owner's cap: no run of hers starts before the one before it ended.
      expect(overlapping(await intervals(alice))).toEqual([]);
    }),
    90_000,
  );
});
