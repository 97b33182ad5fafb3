import { Cluster, waitFor } from './harness/cluster';

/**
 * Cancel across processes: the api takes `POST /cancel`, the worker process
 * running the step aborts it (the cancel reaches it over the event bus, or
 * at the latest with its next heartbeat), and the task ends `cancelled`.
 */
describe('cancel across processes', () => {
  const cluster = new Cluster({ workers: 1 });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('stops a countdown running in a worker within a second, and it ticks no more', async () => {
    await cluster.diagnose(async () => {
      const tickMs = 50;
      const task = await cluster.submit('countdown', { ticks: 400, tickMs }); // 20 s if nobody stops it
      await waitFor(async () => (await cluster.get(task.id)).progress >= 0.02, {
        what: () => `task ${task.id} to be ticking`,
      });
      const running = await cluster.get(task.id);
      expect(running.status).toBe('running');
      // It runs in the worker process, not in the api.
      expect((await cluster.claims(task.id)).map((c) => c.pid)).toEqual([cluster.workers[0]!.pid]);

      const sent = Date.now();
      const res = await cluster.fetch(`/tasks/${task.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(202);
      let cancelledAfter = 0;
      await waitFor(
        async () => {
          const view = await cluster.get(task.id);
          cancelledAfter = Date.now() - sent;
          return view.status === 'cancelled';
        },
        { timeoutMs: 10_000, intervalMs: 20, what: () => `task ${task.id} to be cancelled` },
      );
      expect(cancelledAfter).toBeLessThan(1_000);

      const cancelled = await cluster.get(task.id);
      expect(cancelled.error).toMatchObject({ code: 'CANCELLED' });
      expect(cancelled.steps[0]).toMatchObject({ name: 'countDown', status: 'failed', attempts: 1 });
      expect(cancelled.steps[0].error).toMatchObject({ code: 'CANCELLED' });
      expect(cancelled.progress).toBeLessThan(1);

      // Ten ticks later, nothing has moved: not the task, not its step, not the log.
      const log = await cluster.events(task.id);
      const end = log.find((e) => e.type === 'task.cancelled');
      expect(end).toBeDefined();
      await new Promise((r) => setTimeout(r, 10 * tickMs));
      const later = await cluster.get(task.id);
      expect(later.progress).toBe(cancelled.progress);
      expect(later.steps[0].progress).toBe(cancelled.steps[0].progress);
      expect(later.message).toBe(cancelled.message);
      const afterEnd = (await cluster.events(task.id)).filter((e) => e.seq > end!.seq);
      expect(afterEnd).toEqual([]);
      expect((await cluster.lease(task.id))!.leaseOwner).toBeNull();
      // One run, in the worker; the api did not claim the task to cancel it.
      expect(await cluster.claims(task.id)).toHaveLength(1);

      // The worker is free and well: the next task runs to the end.
      const next = await cluster.submit('countdown', { ticks: 2, tickMs: 10 });
      expect((await cluster.waitForStatus(next.id, ['completed', 'failed', 'cancelled'])).status).toBe('completed');
      expect(cluster.deadProcesses()).toEqual([]);
    })();
  }, 60_000);
});
