import { Cluster, TEST_TIMINGS, waitFor } from './harness/cluster';

const LEASE_MS = Number(TEST_TIMINGS.TASKS_LEASE_MS);

/**
 * The chaos spec kills workers at random moments; this one kills a worker at
 * the one moment that matters for the event log: in the middle of writing a
 * state change and its event. A trigger holds the event's INSERT (pg_sleep)
 * so the test can SIGKILL the worker right there, and terminates that
 * INSERT's backend as the crash would. The state change and its event are one
 * transaction: both are lost together, the work is redone, and the log ends
 * up with each event once, never a state without its event.
 */
describe('a worker killed while writing a checkpoint and its event', () => {
  const cluster = new Cluster({ workers: 1 });

  beforeAll(async () => {
    await cluster.start();
    await cluster.sql(`CREATE TABLE test_hold (task_id varchar NOT NULL, type varchar NOT NULL, step_status varchar)`);
    await cluster.sql(`
      CREATE FUNCTION test_hold_event() RETURNS trigger AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM test_hold h WHERE h.task_id = NEW.task_id AND h.type = NEW.type
                   AND h.step_status IS NOT DISTINCT FROM NEW.step_status) THEN
          PERFORM pg_sleep(60);
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await cluster.sql(`
      CREATE TRIGGER test_hold BEFORE INSERT ON stepwise_task_events
      FOR EACH ROW EXECUTE FUNCTION test_hold_event()`);
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  /**
   * Submits a countdown, holds the insert of its event `type`/`stepStatus`,
   * SIGKILLs the worker while it waits there, aborts the held INSERT, starts
   * the worker again; resolves with the task id once it is terminal.
   */
  const crashBefore = async (type: string, stepStatus: string | null): Promise<string> => {
    const task = await cluster.submit('countdown', { ticks: 10, tickMs: 100 });
    await cluster.sql('INSERT INTO test_hold (task_id, type, step_status) VALUES ($1, $2, $3)', [
      task.id,
      type,
      stepStatus,
    ]);
    let held: number[] = [];
    await waitFor(
      async () => {
        const rows = await cluster.sql<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%stepwise_task_events%'`,
        );
        held = rows.map((r) => r.pid);
        return held.length > 0;
      },
      { timeoutMs: 15_000, what: () => `the ${type} event of ${task.id} to be held` },
    );
    expect(await cluster.killWorker(0, 'SIGKILL')).toMatchObject({ code: null });
    for (const pid of held) await cluster.sql('SELECT pg_terminate_backend($1)', [pid]);
    await cluster.sql('DELETE FROM test_hold');
    // No Redis flush: the killed worker's BullMQ job stays active until BullMQ's own
    // stall check, and the sweeper's re-dispatch (keyed by the row version) must get past it.
    await cluster.startWorker(0);
    await cluster.waitForStatus(task.id, ['completed', 'failed', 'cancelled'], 20_000);
    return task.id;
  };

  it('redoes a step whose checkpoint died with its event, and logs its completion once', async () => {
    await cluster.diagnose(async () => {
      const id = await crashBefore('task.step', 'completed');
      const view = await cluster.get(id);
      expect(view.status).toBe('completed');
      // The checkpoint went down with its event: the step ran again on the restarted worker.
      expect(view.steps[0]).toMatchObject({ status: 'completed', attempts: 2 });
      const log = (await cluster.events(id)).filter((e) => e.type !== 'task.progress');
      expect(log.map((e) => [e.type, e.step, e.stepStatus])).toEqual([
        ['task.created', null, null],
        ['task.step', 'countDown', 'running'],
        ['task.step', 'countDown', 'running'],
        ['task.step', 'countDown', 'completed'],
        ['task.completed', null, null],
      ]);
    })();
  }, 60_000);

  it('records task.completed once for a task that was finishing at the crash', async () => {
    await cluster.diagnose(async () => {
      const id = await crashBefore('task.completed', null);
      expect((await cluster.get(id)).status).toBe('completed');
      // Give recovery every chance: a lease and a few sweeps.
      const completed = async () => (await cluster.events(id)).filter((e) => e.type === 'task.completed');
      await waitFor(async () => (await completed()).length > 0, { timeoutMs: LEASE_MS + 3_000 }).catch(() => undefined);
      expect(await completed()).toHaveLength(1);
    })();
  }, 60_000);
});
