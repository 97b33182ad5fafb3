import { randomUUID } from 'node:crypto';
import type { TaskView } from '@stepwise/contract';
import { Cluster, TERMINAL, waitFor } from './harness/cluster';

/**
 * Issue 12's operations in distributed mode, across two API processes and a
 * worker on PostgreSQL and Redis: a delayed submit waits for its due time
 * (and can be cancelled before it), failed tasks are retried one by one and
 * in bulk from another instance than the one that took them, with who asked
 * in the log, the counts of `GET /tasks/stats` follow, and a bulk cleanup
 * deletes the finished tasks it names, with their steps and events, and
 * nothing unfinished.
 */
describe('operating tasks across processes', () => {
  const cluster = new Cluster({ apis: 2, workers: 1 });
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const post = async (api: number, path: string, body?: unknown) => {
    const res = await cluster.fetchFrom(api, path, {
      method: 'POST',
      headers: json,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const stats = async (api: number) =>
    (await (await cluster.fetchFrom(api, '/tasks/stats')).json()) as {
      byType: Record<string, Record<string, number>>;
    };

  it(
    'runs a delayed task once due and not before, and cancels another before it starts',
    cluster.diagnose(async () => {
      const runAt = new Date(Date.now() + 1_500).toISOString();
      const delayed = await post(0, `/tasks/countdown?runAt=${encodeURIComponent(runAt)}`, { ticks: 1, tickMs: 0 });
      expect(delayed.status).toBe(202);
      expect(delayed.body).toMatchObject({ status: 'pending', runAt });
      const later = await post(1, '/tasks/countdown?delayMs=60000', { ticks: 1, tickMs: 0 });
      expect(later.status).toBe(202);

      expect((await post(0, `/tasks/${later.body.id as string}/cancel`)).status).toBe(202);
      const cancelled = await cluster.waitForStatus(later.body.id as string, TERMINAL);
      expect(cancelled).toMatchObject({ status: 'cancelled' });
      expect(cancelled.steps[0]).toMatchObject({ attempts: 0 });

      const done = await cluster.waitForStatus(delayed.body.id as string, 'completed');
      // Claimed on PostgreSQL's clock, the machine's: never before its due time.
      expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runAt));
    }),
  );

  it(
    'retries failed tasks one by one and in bulk, counts them, then deletes the finished ones only',
    cluster.diagnose(async () => {
      // A ZIP of an upload that does not exist fails for good, and again when retried.
      const failing = async () => (await post(0, '/tasks/create-zip', { uploads: [randomUUID()] })).body.id as string;
      const ids = [await failing(), await failing(), await failing()];
      for (const id of ids) await cluster.waitForStatus(id, 'failed');
      const running = (await post(0, '/tasks/countdown', { ticks: 200, tickMs: 100 })).body.id as string;
      await cluster.waitForStatus(running, 'running');
      expect((await stats(1)).byType['create-zip']).toMatchObject({ failed: 3 });

      // One, from the other instance.
      const one = await post(1, `/tasks/${ids[0]}/retry`);
      expect(one).toMatchObject({ status: 202, body: { id: ids[0], status: 'pending' } });
      await cluster.waitForStatus(ids[0], 'failed');
      // All three.
      expect(await post(0, '/tasks/retry?type=create-zip')).toMatchObject({ status: 200, body: { retried: 3 } });
      await waitFor(async () => (await stats(1)).byType['create-zip']?.failed === 3, {
        what: () => 'the retried tasks to fail again',
      });
      const retried = await cluster.sql<{ task_id: string; n: string }>(
        `SELECT task_id, count(*) AS n FROM stepwise_task_events WHERE type = 'task.retried' GROUP BY task_id`,
      );
      expect(Object.fromEntries(retried.map((r) => [r.task_id, Number(r.n)]))).toEqual({
        [ids[0]]: 2,
        [ids[1]]: 1,
        [ids[2]]: 1,
      });
      const actors = await cluster.sql<{ actor: string | null }>(
        `SELECT DISTINCT actor FROM stepwise_task_events WHERE type = 'task.retried'`,
      );
      expect(actors.map((a) => a.actor)).toEqual([expect.any(String)]);

      const deleted = await cluster.fetchFrom(1, '/tasks?status=failed&type=create-zip', { method: 'DELETE' });
      expect(deleted.status).toBe(200);
      expect(await deleted.json()).toEqual({ deleted: 3 });
      for (const id of ids) expect((await cluster.fetch(`/tasks/${id}`)).status).toBe(404);
      const left = await cluster.sql<{ n: string }>(
        `SELECT (SELECT count(*) FROM stepwise_tasks WHERE id = ANY($1)) + (SELECT count(*) FROM stepwise_task_steps
           WHERE task_id = ANY($1)) + (SELECT count(*) FROM stepwise_task_events WHERE task_id = ANY($1)) AS n`,
        [ids],
      );
      expect(Number(left[0].n)).toBe(0);
      // A cleanup of every finished task leaves the running one alone.
      await (await cluster.fetch('/tasks', { method: 'DELETE' })).json();
      expect(((await (await cluster.fetch(`/tasks/${running}`)).json()) as TaskView).status).toBe('running');
      expect((await post(0, `/tasks/${running}/cancel`)).status).toBe(202);
      await cluster.waitForStatus(running, TERMINAL);
    }),
  );
});
