import { UnauthorizedException } from '@nestjs/common';
import type { TaskRecord } from '../../model';
import type { Caller, OwnerRequest, OwnerResolver } from '../owner-resolver';
import { startAuthApp, handshake, type AuthApp } from '../testing/auth-app';

/** `x-owner-id` and the comma-separated `x-roles`: the resolver answers a Caller, as the built-in schemes do. */
class RoleHeaderResolver implements OwnerResolver {
  resolve({ headers }: OwnerRequest): Caller {
    const owner = headers['x-owner-id'];
    if (typeof owner !== 'string' || owner === '') throw new UnauthorizedException('no owner');
    const roles = typeof headers['x-roles'] === 'string' ? headers['x-roles'].split(',') : [];
    return { owner, roles };
  }
}

const alice = { 'x-owner-id': 'alice' };
const bob = { 'x-owner-id': 'bob' };
const admin = { 'x-owner-id': 'root', 'x-roles': 'admin' };

describe('authorization: the admin role', () => {
  let api: AuthApp;

  beforeAll(async () => {
    api = await startAuthApp({ ownerResolver: new RoleHeaderResolver() });
  });
  afterAll(() => api?.close());

  it("lists, reads, follows, downloads, cancels and deletes every owner's tasks", async () => {
    const done = await api.finished(alice);
    const running = await api.running(alice);
    const bobs = await api.finished(bob);

    const list = await api.http().get('/tasks?limit=100').set(admin);
    expect(list.status).toBe(200);
    const ids = (list.body as { items: Array<{ id: string }> }).items.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining([done, running, bobs]));
    expect(Number(list.headers['x-total-count'])).toBeGreaterThanOrEqual(3);
    // Alice's own list is hers alone.
    const own = await api.http().get('/tasks?limit=100').set(alice);
    expect((own.body as { items: Array<{ id: string }> }).items.map((t) => t.id)).not.toContain(bobs);

    expect((await api.http().get(`/tasks/${done}`).set(admin)).status).toBe(200);
    expect((await api.http().get(`/tasks/${done}/result`).set(admin)).status).toBe(200);
    const download = await api.http().get(`/tasks/${done}/download`).set(admin);
    expect([download.status, download.text]).toEqual([200, 'hello']);
    expect((await api.http().get(`/tasks/${done}/webhooks`).set(admin)).status).toBe(200);
    const stats = await api.http().get('/tasks/stats').set(admin);
    const aliceStats = await api.http().get('/tasks/stats').set(alice);
    expect((stats.body as { total: number }).total).toBeGreaterThan((aliceStats.body as { total: number }).total);

    expect((await api.http().post(`/tasks/${running}/cancel`).set(admin)).status).toBe(202);
    expect((await api.http().delete(`/tasks/${done}`).set(admin)).status).toBe(204);
    expect((await api.http().get(`/tasks/${done}`).set(alice)).status).toBe(404);

    // Not an admin: another owner's task is a 404, as before.
    expect((await api.http().get(`/tasks/${bobs}`).set(alice)).status).toBe(404);
    expect((await api.http().delete(`/tasks/${bobs}`).set(alice)).status).toBe(404);
  });

  it('keeps what an admin submits as its own: other owners do not see it', async () => {
    const id = await api.finished(admin);
    expect((await api.http().get(`/tasks/${id}`).set(alice)).status).toBe(404);
    expect((await api.http().get(`/tasks/${id}`).set(admin)).status).toBe(200);
  });

  it("follows any owner's task over Socket.IO, and hears of every new task", async () => {
    const { socket: root } = await handshake(api.port, { headers: admin });
    const { socket: other } = await handshake(api.port, { headers: bob });
    try {
      const running = await api.running(alice);
      const ack = (await root!.timeout(5_000).emitWithAck('subscribe', { taskId: running })) as {
        ok: boolean;
        task?: { id: string };
      };
      expect(ack).toMatchObject({ ok: true, task: { id: running } });
      const refused = (await other!.timeout(5_000).emitWithAck('subscribe', { taskId: running })) as {
        ok: boolean;
        error?: { statusCode: number };
      };
      expect(refused).toMatchObject({ ok: false, error: { statusCode: 404 } });

      const created = new Promise<string>((resolve) =>
        root!.on('task.created', (event: { taskId: string }) => resolve(event.taskId)),
      );
      const heard: string[] = [];
      other!.on('task.created', (event: { taskId: string }) => heard.push(event.taskId));
      const fresh = await api.finished(alice);
      expect(await created).toBe(fresh);
      expect(heard).not.toContain(fresh);
      await api.http().post(`/tasks/${running}/cancel`).set(alice);
    } finally {
      root?.disconnect();
      other?.disconnect();
    }
  });
});

describe('authorization: the authorize hooks', () => {
  let api: AuthApp;
  const calls: string[] = [];

  beforeAll(async () => {
    api = await startAuthApp({
      ownerResolver: new RoleHeaderResolver(),
      authorize: {
        adminRole: 'ops',
        canSubmit: (caller, type) => (
          calls.push(`submit ${type}`),
          !type.endsWith('fail') || caller.roles.includes('runner')
        ),
        // Asynchronous, as a database lookup would be.
        canCancel: async (caller) => caller.roles.includes('operator'),
        canDelete: (_caller, task: TaskRecord) => (task.input as { text?: string }).text !== 'keep',
        canDownload: (caller, task) => caller.owner === task.owner,
      },
    });
  });
  afterAll(() => api?.close());

  const forbidden = expect.objectContaining({ statusCode: 403, error: 'Forbidden' });

  it('answers 403 JSON when a hook refuses, and lets the same call through when it allows', async () => {
    const refused = await api.http().post('/tasks/auth-fail').set(alice).send({});
    expect([refused.status, refused.body]).toEqual([403, forbidden]);
    expect((refused.body as { message: string }).message).toContain('auth-fail');
    expect(
      (
        await api
          .http()
          .post('/tasks/auth-fail')
          .set({ ...alice, 'x-roles': 'runner' })
          .send({})
      ).status,
    ).toBe(202);

    const running = await api.running(alice);
    for (const action of ['cancel', 'pause', 'resume']) {
      const res = await api.http().post(`/tasks/${running}/${action}`).set(alice);
      expect([action, res.status, res.body]).toEqual([action, 403, forbidden]);
    }
    expect(
      (
        await api
          .http()
          .post(`/tasks/${running}/cancel`)
          .set({ ...alice, 'x-roles': 'operator' })
      ).status,
    ).toBe(202);
  });

  it("answers 404 for another owner's task before asking any hook", async () => {
    const running = await api.running(alice);
    expect((await api.http().post(`/tasks/${running}/cancel`).set(bob)).status).toBe(404);
    expect((await api.http().get(`/tasks/${running}/download`).set(bob)).status).toBe(404);
    await api
      .http()
      .post(`/tasks/${running}/cancel`)
      .set({ ...alice, 'x-roles': 'operator' });
  });

  it('guards downloads: an admin (adminRole ops) sees the task but may not download it here', async () => {
    const done = await api.finished(alice);
    const ops = { 'x-owner-id': 'root', 'x-roles': 'ops' };
    expect((await api.http().get(`/tasks/${done}`).set(ops)).status).toBe(200);
    const res = await api.http().get(`/tasks/${done}/download`).set(ops);
    expect([res.status, res.body]).toEqual([403, forbidden]);
    expect((await api.http().get(`/tasks/${done}/download`).set(alice)).status).toBe(200);
    // The role named `admin` means nothing once adminRole is another.
    expect((await api.http().get(`/tasks/${done}`).set({ 'x-owner-id': 'root', 'x-roles': 'admin' })).status).toBe(404);
  });

  it('guards deletes, one by one and in bulk (refused tasks are skipped and kept)', async () => {
    const kept = await api.http().post('/tasks/auth-note').set({ 'x-owner-id': 'carol' }).send({ text: 'keep' });
    const keepId = (kept.body as { id: string }).id;
    const gone = await api.finished({ 'x-owner-id': 'carol' });
    await api.finished({ 'x-owner-id': 'carol' });
    const deadline = Date.now() + 10_000;
    while ((await api.http().get(`/tasks/${keepId}`).set({ 'x-owner-id': 'carol' })).body.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('never completed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const one = await api.http().delete(`/tasks/${keepId}`).set({ 'x-owner-id': 'carol' });
    expect([one.status, one.body]).toEqual([403, forbidden]);
    const bulk = await api.http().delete('/tasks').set({ 'x-owner-id': 'carol' });
    expect([bulk.status, bulk.body]).toEqual([200, { deleted: 2 }]);
    expect((await api.http().get(`/tasks/${keepId}`).set({ 'x-owner-id': 'carol' })).status).toBe(200);
    expect((await api.http().get(`/tasks/${gone}`).set({ 'x-owner-id': 'carol' })).status).toBe(404);
  });

  it('guards retries with canSubmit, one by one and in bulk', async () => {
    const runner = { 'x-owner-id': 'dave', 'x-roles': 'runner' };
    const failed = await api.finished(runner, 'auth-fail');
    calls.length = 0;
    const refused = await api.http().post(`/tasks/${failed}/retry`).set({ 'x-owner-id': 'dave' });
    expect([refused.status, refused.body]).toEqual([403, forbidden]);
    expect(calls).toEqual(['submit auth-fail']);
    const bulk = await api.http().post('/tasks/retry').set({ 'x-owner-id': 'dave' });
    expect([bulk.status, bulk.body]).toEqual([200, { retried: 0 }]);
    expect((await api.http().post(`/tasks/${failed}/retry`).set(runner)).status).toBe(202);
  });
});
