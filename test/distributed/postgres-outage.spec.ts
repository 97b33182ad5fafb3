import { Cluster, TEST_TIMINGS, waitFor } from './harness/cluster';

const LEASE_MS = Number(TEST_TIMINGS.TASKS_LEASE_MS);

/**
 * PostgreSQL goes away while the cluster runs: the api answers 503 with
 * Retry-After (never a 500, never a crash); when it comes back, without a
 * restart of anything, submits work again and the task that was running
 * during the outage completes.
 */
describe('PostgreSQL outage', () => {
  const cluster = new Cluster({ workers: 1 });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const expect503 = async (res: Response, what: string) => {
    const body = await res.text();
    expect({ what, status: res.status, body }).toMatchObject({ what, status: 503 });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(body)).toMatchObject({ statusCode: 503 });
  };

  it('answers 503 during the outage and recovers without a restart', async () => {
    await cluster.diagnose(async () => {
      // One task outlives the outage; the other's step ends during it, when nothing can be written.
      const running = await cluster.submit('countdown', { ticks: 60, tickMs: 100 });
      const ending = await cluster.submit('countdown', { ticks: 10, tickMs: 100 });
      await waitFor(
        async () => (await cluster.get(running.id)).progress > 0.05 && (await cluster.get(ending.id)).progress >= 0.3,
        { what: () => 'both tasks to be running' },
      );

      cluster.stopPostgres();
      const down = Date.now();
      // Longer than a lease: the worker's heartbeats fail, its lease runs out in the database's clock.
      let requests = 0;
      while (Date.now() - down < LEASE_MS + 1_000) {
        await expect503(await cluster.fetch(`/tasks/${running.id}`), 'GET /tasks/{id}');
        await expect503(
          await cluster.fetch('/tasks/countdown', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ticks: 1, tickMs: 1 }),
          }),
          'POST /tasks/countdown',
        );
        await expect503(await cluster.fetch('/tasks?limit=1'), 'GET /tasks');
        requests += 3;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(requests).toBeGreaterThan(3);
      expect(cluster.deadProcesses()).toEqual([]);

      cluster.startPostgres();
      const up = Date.now();
      // Nothing restarted: the same processes, their pools reconnect by themselves.
      let fresh: Awaited<ReturnType<Cluster['submit']>> | undefined;
      await waitFor(async () => Boolean((fresh = await cluster.submit('countdown', { ticks: 2, tickMs: 10 }))), {
        timeoutMs: 15_000,
        intervalMs: 200,
        what: () => 'a submit to be accepted again',
      });
      const acceptedAfter = Date.now() - up;
      expect((await cluster.waitForStatus(fresh!.id, ['completed', 'failed', 'cancelled'], 20_000)).status).toBe(
        'completed',
      );
      for (const task of [running, ending]) {
        const recovered = await cluster.waitForStatus(task.id, ['completed', 'failed', 'cancelled'], 30_000);
        expect(recovered.status).toBe('completed');
        expect(recovered.steps[0].status).toBe('completed');
        const events = await cluster.events(task.id);
        expect(events.filter((e) => e.type === 'task.completed')).toHaveLength(1);
        expect(events.filter((e) => e.type === 'task.step' && e.stepStatus === 'completed')).toHaveLength(1);
      }
      expect(cluster.deadProcesses()).toEqual([]);
      const [long, short] = [await cluster.get(running.id), await cluster.get(ending.id)];
      console.log(
        `outage: ${requests} requests answered 503; submit accepted ${acceptedAfter} ms after PostgreSQL came back; ` +
          `the long task completed with ${long.steps[0].attempts} attempt(s), ` +
          `the one that ended during the outage with ${short.steps[0].attempts}`,
      );
    })();
  }, 90_000);
});
