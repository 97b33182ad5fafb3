import { Cluster } from './harness/cluster';

/**
 * Rate limits shared by two API instances: both count in Redis, so a caller
 * who spreads its submits over the instances gets no more than the limit.
 * The apps run with their default owner resolver: every caller is the
 * anonymous owner, counted by address (here the same loopback address).
 */
describe('rate limits across API instances (Redis)', () => {
  const cluster = new Cluster({
    apis: 2,
    workers: 1,
    env: { TASKS_RATE_LIMIT_SUBMIT: '5/60000', TASKS_RATE_LIMIT_READ: '1000/60000' },
  });

  beforeAll(async () => {
    await cluster.start();
  }, 150_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const submitTo = (index: number) =>
    cluster.fetchFrom(index, '/tasks/countdown', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 1, tickMs: 10 }),
    });

  it('counts the submits of both instances against one limit', async () => {
    await cluster.diagnose(async () => {
      const accepted = [];
      for (const index of [0, 1, 0, 1, 0]) accepted.push((await submitTo(index)).status);
      expect(accepted).toEqual([202, 202, 202, 202, 202]);

      for (const index of [1, 0]) {
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
    })();
  });
});
