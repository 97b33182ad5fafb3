import { Cluster } from './harness/cluster';

/**
 * A task waiting for a signal holds no lease and no worker: the worker that
 * ran it up to the wait can die (`kill -9`) and the signal, sent through the
 * API, wakes the task on whichever worker is there. The `approval` example
 * task waits for its `decision` signal.
 */
describe('signals and child tasks across processes: the waiting worker killed with kill -9', () => {
  const cluster = new Cluster({ workers: 1 });

  beforeAll(async () => {
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const signal = (id: string, name: string, payload: unknown) =>
    cluster.fetch(`/tasks/${id}/signals/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  it(
    'completes on another worker once the signal comes',
    cluster.diagnose(async () => {
      const task = await cluster.submit('approval', { subject: 'invoice 7' });
      const waiting = await cluster.waitForStatus(task.id, 'waiting');
      expect(waiting).toMatchObject({ waitingFor: 'signal:decision' });
      expect(await cluster.lease(task.id)).toMatchObject({ status: 'waiting', leaseOwner: null });
      const [first] = await cluster.claims(task.id);
      expect(first.pid).toBe(cluster.workers[0]!.pid);

      expect(await cluster.killWorker(0, 'SIGKILL')).toMatchObject({ code: null });
      await cluster.startWorker(0);
      const res = await signal(task.id, 'decision', { approved: true, by: 'dana' });
      expect(res.status).toBe(202);

      const done = await cluster.waitForStatus(task.id, 'completed');
      expect(done.steps[0]).toMatchObject({ status: 'completed', attempts: 1 });
      const result = (await (await cluster.fetch(`/tasks/${task.id}/result`)).json()) as { output: unknown };
      expect(result.output).toEqual({ subject: 'invoice 7', approved: true, by: 'dana' });
      // The run after the signal was claimed by the new worker, not the killed one.
      const claims = await cluster.claims(task.id);
      expect(claims.at(-1)!.pid).toBe(cluster.workers[0]!.pid);
      expect(claims.at(-1)!.pid).not.toBe(first.pid);
      const log = (await cluster.events(task.id)).map((e) => e.type);
      expect(log.filter((type) => type === 'task.waiting')).toHaveLength(1);
      expect(log.filter((type) => type === 'task.signalled')).toHaveLength(1);
      expect(log.filter((type) => type === 'task.completed')).toHaveLength(1);
    }),
    60_000,
  );

  it(
    'finishes a parent waiting for its children after the worker running them was killed',
    cluster.diagnose(async () => {
      const task = await cluster.submit('countdown-batch', { count: 3, ticks: 10, tickMs: 150 });
      const waiting = await cluster.waitForStatus(task.id, 'waiting');
      expect(waiting).toMatchObject({ waitingFor: 'children' });
      const children = (waiting as unknown as { children: Array<{ id: string; status: string }> }).children;
      expect(children).toHaveLength(3);
      const killed = cluster.workers[0]!.pid;

      expect(await cluster.killWorker(0, 'SIGKILL')).toMatchObject({ code: null });
      await cluster.startWorker(0);
      const done = await cluster.waitForStatus(task.id, 'completed', 30_000);
      const result = (await (await cluster.fetch(`/tasks/${task.id}/result`)).json()) as { output: unknown };
      expect(result.output).toEqual({ countdowns: 3, ticks: 30 });
      // Its step ran again when woken and spawned no fourth child.
      const after = (done as unknown as { children: Array<{ id: string; status: string }> }).children;
      expect(after.map((c) => [c.id, c.status])).toEqual(children.map((c) => [c.id, 'completed']));
      // The last child's end woke the parent, which the new worker claimed.
      expect((await cluster.claims(task.id)).at(-1)!.pid).not.toBe(killed);
      expect((await cluster.events(task.id)).filter((e) => e.type === 'task.completed')).toHaveLength(1);
    }),
    60_000,
  );

  it(
    'times the wait out after its worker died, on the worker that replaced it',
    cluster.diagnose(async () => {
      const task = await cluster.submit('approval', { subject: 'late', timeoutMs: 1_500 });
      await cluster.waitForStatus(task.id, 'waiting');
      expect(await cluster.killWorker(0, 'SIGKILL')).toMatchObject({ code: null });
      await cluster.startWorker(0);
      const failed = await cluster.waitForStatus(task.id, 'failed');
      expect(failed.error).toMatchObject({ code: 'SIGNAL_TIMEOUT', step: 'awaitDecision' });
      expect((await signal(task.id, 'decision', { approved: true, by: 'too late' })).status).toBe(409);
    }),
    60_000,
  );
});
