import { Cluster, waitFor } from './harness/cluster';

/**
 * A schedule every second on two workers sharing PostgreSQL and Redis: both
 * run a scheduler (the api, role api, does not), both wake at every slot,
 * and each slot gets exactly one task. A trigger logs every insert a
 * scheduler attempts (before the unique index decides), with the process's
 * name (PGAPPNAME): the slots both workers raced for, and which workers
 * took part.
 */
describe('schedules across two workers', () => {
  const cluster = new Cluster({
    workers: 2,
    env: { TASKS_SCHEDULE_INTERVAL_MS: '500' },
    worker: (index) => ({ env: { PGAPPNAME: `worker-${index}` } }),
  });
  const NAME = 'every-second';
  const PREFIX = `schedule:${NAME}:`;

  beforeAll(async () => {
    await cluster.start();
    await cluster.sql(`
      CREATE TABLE test_submits (id bigserial PRIMARY KEY, key varchar NOT NULL, app varchar NOT NULL)`);
    await cluster.sql(`
      CREATE FUNCTION test_record_submit() RETURNS trigger AS $$
      BEGIN
        INSERT INTO test_submits (key, app) VALUES (NEW.idempotency_key, current_setting('application_name'));
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    // BEFORE INSERT fires for the loser of a race too, ahead of ON CONFLICT DO NOTHING.
    await cluster.sql(`
      CREATE TRIGGER test_submits BEFORE INSERT ON stepwise_tasks FOR EACH ROW
      WHEN (NEW.idempotency_key LIKE 'schedule:%') EXECUTE FUNCTION test_record_submit()`);
  }, 120_000);

  afterAll(() => cluster.stop(), 60_000);

  const slotsWithTasks = async () =>
    (
      await cluster.sql<{ key: string; n: string }>(
        `SELECT idempotency_key AS key, count(*) AS n FROM stepwise_tasks
          WHERE idempotency_key LIKE $1 GROUP BY idempotency_key ORDER BY idempotency_key`,
        [`${PREFIX}%`],
      )
    ).map((r) => ({ slot: Date.parse(r.key.slice(PREFIX.length)), tasks: Number(r.n) }));

  it('submits one task per slot, never two, over several slots', async () => {
    await cluster.diagnose(async () => {
      const res = await cluster.fetch('/schedules', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: NAME, type: 'countdown', cron: '* * * * * *', input: { ticks: 1, tickMs: 1 } }),
      });
      expect(res.status).toBe(201);

      // Five slots after the first one both workers could have seen.
      await waitFor(async () => (await slotsWithTasks()).length >= 7, {
        timeoutMs: 30_000,
        what: () => 'seven slots with a task',
      });
      expect((await cluster.fetch(`/schedules/${NAME}/pause`, { method: 'POST' })).status).toBe(200);
      // A pass that read the schedule before the pause may still submit its slot: let it land.
      const settled = async () => (await slotsWithTasks()).length;
      let last = -1;
      await waitFor(async () => last === (last = await settled()), { intervalMs: 1_500, what: () => 'no new slot' });

      const slots = await slotsWithTasks();
      expect(slots.filter((s) => s.tasks !== 1)).toEqual([]);
      // Every second from the first slot to the last, none skipped.
      const gaps = slots.slice(1).filter((s, i) => s.slot - slots[i].slot !== 1_000);
      expect(gaps).toEqual([]);

      const submits = await cluster.sql<{ key: string; app: string }>('SELECT key, app FROM test_submits');
      const apps = new Set(submits.map((s) => s.app));
      expect([...apps].sort()).toEqual(['worker-0', 'worker-1']);
      const raced = new Set(
        submits.filter((s, i) => submits.findIndex((o) => o.key === s.key) !== i).map((s) => s.key),
      );
      console.log(
        `schedules: ${slots.length} slots, ${submits.length} submits, ${raced.size} slot(s) raced by both workers`,
      );

      // And each slot's task ran to its end.
      await waitFor(
        async () =>
          (
            await cluster.sql<{ n: string }>(
              `SELECT count(*) AS n FROM stepwise_tasks WHERE idempotency_key LIKE $1 AND status <> 'completed'`,
              [`${PREFIX}%`],
            )
          )[0].n === '0',
        { what: () => 'every scheduled task to complete' },
      );
      const listed = (await (await cluster.fetch('/schedules')).json()) as { items: Array<Record<string, unknown>> };
      expect(listed.items).toMatchObject([{ name: NAME, paused: true, nextRunAt: null }]);
    })();
  }, 90_000);
});
