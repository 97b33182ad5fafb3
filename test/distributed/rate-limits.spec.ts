import { Cluster } from './harness/cluster';

/**
 * Rate limits and quotas shared by two API instances: both count the rate
 * in Redis and the quota in PostgreSQL, so a caller who spreads its submits
 * over the instances gets no more than either allows. The apps run with
 * their default owner resolver: every caller is the anonymous owner, counted
 * by address for the rate (here the same loopback address).
 */
describe('rate limits and quotas across API instances (Redis, PostgreSQL)', () => {
  const cluster = new Cluster({
    apis: 2,
    workers: 1,
    env: {
      TASKS_RATE_LIMIT_SUBMIT: '6/60000',
      TASKS_RATE_LIMIT_READ: '1000/60000',
      TASKS_QUOTA_ACTIVE_TASKS: '3',
      TASKS_QUOTA_OPEN_UPLOADS: '2',
    },
  });

  beforeAll(async () => {
    await cluster.start();
  }, 150_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  /** A countdown of 100 s: active until cancelled. */
  const submitTo = (index: number) =>
    cluster.fetchFrom(index, '/tasks/countdown', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 100, tickMs: 1000 }),
    });

  it('counts the active tasks and the submits of both instances against one quota and one limit', async () => {
    await cluster.diagnose(async () => {
      const accepted = [];
      for (const index of [0, 1, 0]) {
        const res = await submitTo(index);
        accepted.push(res.status);
        if (res.status === 202) accepted.push(((await res.json()) as { id: string }).id);
      }
      const ids = accepted.filter((v): v is string => typeof v === 'string');
      expect(accepted.filter((v) => typeof v === 'number')).toEqual([202, 202, 202]);

      // The quota: three active tasks, whichever instance took them.
      for (const index of [1, 0]) {
        const refused = await submitTo(index);
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({
          statusCode: 403,
          error: 'Forbidden',
          message: expect.stringContaining('activeTasks'),
          details: { quota: 'activeTasks', limit: 3, used: 3 },
        });
      }

      // A task that ends frees its place on every instance.
      expect((await cluster.fetchFrom(1, `/tasks/${ids[0]}/cancel`, { method: 'POST' })).status).toBe(202);
      await cluster.waitForStatus(ids[0], 'cancelled');
      expect((await submitTo(1)).status).toBe(202);

      // The rate: that was the sixth submit of the window (refused ones count too), on either instance.
      for (const index of [0, 1]) {
        const refused = await submitTo(index);
        expect(refused.status).toBe(429);
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(await refused.json()).toEqual({
          statusCode: 429,
          error: 'Too Many Requests',
          message: expect.stringContaining('submit'),
        });
      }

      // Reads have their own budget on both instances.
      expect((await cluster.fetchFrom(0, '/tasks')).status).toBe(200);
      expect((await cluster.fetchFrom(1, '/tasks')).status).toBe(200);

      // Let the cluster stop quickly.
      const list = (await (await cluster.fetchFrom(0, '/tasks?limit=100')).json()) as { items: Array<{ id: string }> };
      for (const task of list.items) await cluster.fetchFrom(0, `/tasks/${task.id}/cancel`, { method: 'POST' });
    })();
  });

  it('counts the uploads in progress created on both instances against one openUploads quota', async () => {
    await cluster.diagnose(async () => {
      const create = (index: number) =>
        cluster.fetchFrom(index, '/uploads/', {
          method: 'POST',
          headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '4' },
        });
      const first = await create(0);
      expect(first.status).toBe(201);
      expect((await create(1)).status).toBe(201);
      for (const index of [0, 1]) {
        const refused = await create(index);
        expect(refused.status).toBe(403);
        expect(JSON.parse(await refused.text())).toMatchObject({
          statusCode: 403,
          details: { quota: 'openUploads', limit: 2, used: 2 },
        });
      }
      // Deleted on the other instance: the place is free on both.
      const location = first.headers.get('location')!;
      const deleted = await cluster.fetchFrom(1, location, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' } });
      expect(deleted.status).toBe(204);
      expect((await create(0)).status).toBe(201);
    })();
  });
});
