import type { TaskView } from '@stepwise/contract';
import { Cluster, TERMINAL } from './harness/cluster';

/**
 * Singleton keys across processes: submits with one key to two API
 * processes at once create one task (the database's partial unique index
 * decides, not a lock in either process); the others answer with it. Once it
 * has ended, the key is free again.
 */
describe('singleton keys across API processes', () => {
  const cluster = new Cluster({ apis: 2, workers: 1 });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const submit = async (api: number, key: string, extra = '') => {
    const res = await cluster.fetchFrom(api, `/tasks/countdown?singletonKey=${encodeURIComponent(key)}${extra}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 50, tickMs: 100 }),
    });
    return {
      status: res.status,
      replayed: res.headers.get('singleton-replayed'),
      body: (await res.json()) as TaskView,
    };
  };

  it(
    'creates one task for racing submits to two processes, answers the others with it, and frees the key',
    cluster.diagnose(async () => {
      const key = `sync-${Date.now()}`;
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(i % 2, key)));
      const created = answers.filter((a) => a.status === 202);
      expect(created).toHaveLength(1);
      const id = created[0].body.id;
      for (const answer of answers.filter((a) => a.status !== 202)) {
        expect(answer).toMatchObject({ status: 200, replayed: 'true', body: { id, singletonKey: key } });
      }
      expect((await submit(1, key, '&singleton=conflict')).status).toBe(409);

      expect((await cluster.fetch(`/tasks/${id}/cancel`, { method: 'POST' })).status).toBe(202);
      expect((await cluster.waitForStatus(id, TERMINAL, 20_000)).status).toBe('cancelled');
      const next = await submit(1, key, '&singleton=conflict');
      expect(next.status).toBe(202);
      expect(next.body.id).not.toBe(id);
      await cluster.fetch(`/tasks/${next.body.id}/cancel`, { method: 'POST' });
    }),
  );
});
