import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { StepwiseClient, StepwiseError, type TaskEvent, type TaskView } from './index';

/**
 * The Socket.IO side against a stand-in server that follows the contract but
 * does what a real one rarely does on cue: sends an event twice, refuses a
 * connection, answers a snapshot of its choosing.
 */
describe('StepwiseClient over a stand-in Socket.IO server', () => {
  let http: HttpServer;
  let io: Server;
  let baseUrl: string;
  const subscribes: Array<{ socket: ServerSocket; taskId: string }> = [];
  const clients: StepwiseClient[] = [];
  /** The snapshot the next `subscribe` answers with, by task id. */
  const snapshots = new Map<string, TaskView>();
  /** Tasks whose next `subscribe` gets a 503 (the server's backend is down). */
  const unavailableOnce = new Set<string>();

  const view = (id: string, status: TaskView['status'], progress: number): TaskView => ({
    id,
    type: 'stand-in',
    status,
    progress,
    message: null,
    steps: [],
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: status === 'completed' ? new Date().toISOString() : null,
    error: null,
    links: { self: `/tasks/${id}` } as TaskView['links'],
  });
  const event = (taskId: string, name: string, seq: number, progress: number) => ({
    taskId,
    type: 'stand-in',
    event: name,
    status: name === 'task.completed' ? 'completed' : 'running',
    progress,
    at: new Date().toISOString(),
    seq,
  });

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    const tasks = io.of('/tasks');
    tasks.use((socket, next) => {
      if (socket.handshake.headers['x-refuse'] === 'yes') next(new Error('not welcome'));
      else next();
    });
    tasks.on('connection', (socket) => {
      if (socket.handshake.headers['x-kick'] === 'yes') {
        socket.emit('error', { statusCode: 401, message: 'No owner for this connection' });
        socket.disconnect();
        return;
      }
      socket.on('subscribe', (body: { taskId: string }, ack: (answer: unknown) => void) => {
        subscribes.push({ socket, taskId: body.taskId });
        if (unavailableOnce.delete(body.taskId)) {
          ack({ ok: false, error: { statusCode: 503, error: 'Service Unavailable', message: 'backend down' } });
          return;
        }
        const snapshot = snapshots.get(body.taskId);
        if (!snapshot) {
          ack({ ok: false, error: { statusCode: 404, error: 'Not Found', message: `Task ${body.taskId} not found` } });
          return;
        }
        void socket.join(`task:${body.taskId}`);
        ack({ ok: true, task: snapshot });
      });
      socket.on('unsubscribe', (body: { taskId: string }) => void socket.leave(`task:${body.taskId}`));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  function newClient(headers: Record<string, string> = {}, idleTimeoutMs?: number): StepwiseClient {
    const client = new StepwiseClient({
      baseUrl,
      headers,
      poll: { intervalMs: Infinity, whileLiveMs: Infinity },
      socket: { transports: ['websocket'], reconnectionDelay: 20, reconnectionDelayMax: 50, idleTimeoutMs },
    });
    clients.push(client);
    return client;
  }

  it('drops an event received twice (same seq) and keeps events without seq', async () => {
    const id = randomUUID();
    snapshots.set(id, view(id, 'running', 0.2));
    const client = newClient();
    const stream = client.task(id).events();
    await expect(stream.subscribed()).resolves.toMatchObject({ id, status: 'running' });

    const room = io.of('/tasks').to(`task:${id}`);
    room.emit('task.progress', event(id, 'task.progress', 5, 0.3));
    room.emit('task.progress', event(id, 'task.progress', 5, 0.3));
    room.emit('task.step', { ...event(id, 'task.step', 0, 0.4), seq: undefined });
    room.emit('task.progress', event(id, 'task.progress', 6, 0.5));
    room.emit('task.completed', event(id, 'task.completed', 7, 1));
    room.emit('task.completed', event(id, 'task.completed', 7, 1));

    const seen: TaskEvent[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen.map((e) => [e.event, e.seq])).toEqual([
      ['task.progress', 5],
      ['task.step', undefined],
      ['task.progress', 6],
      ['task.completed', 7],
    ]);
    // Ended: the stream unsubscribed.
    expect(seen[3].synthetic).toBeUndefined();
  });

  it('resubscribes every watched task after a reconnection, and reports a terminal snapshot', async () => {
    const a = randomUUID();
    const b = randomUUID();
    snapshots.set(a, view(a, 'running', 0.1));
    snapshots.set(b, view(b, 'running', 0.1));
    const client = newClient();
    const streamA = client.task(a).events();
    const streamB = client.task(b).events();
    await Promise.all([streamA.subscribed(), streamB.subscribed()]);
    const before = subscribes.filter((s) => s.taskId === a || s.taskId === b).length;
    expect(before).toBe(2);

    // While down, task a completes; b goes on.
    snapshots.set(a, view(a, 'completed', 1));
    const socket = client.socket!;
    const reconnected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.io.engine.close();
    await reconnected;

    const seenA: TaskEvent[] = [];
    for await (const e of streamA) seenA.push(e);
    expect(seenA).toEqual([expect.objectContaining({ event: 'task.completed', synthetic: true })]);

    // b was subscribed again too: an event to its room reaches the stream.
    const nextB = streamB.next();
    const deadline = Date.now() + 10_000;
    while (subscribes.filter((s) => s.taskId === b).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    io.of('/tasks')
      .to(`task:${b}`)
      .emit('task.progress', event(b, 'task.progress', 1, 0.6));
    await expect(nextB).resolves.toMatchObject({ value: { event: 'task.progress', progress: 0.6 } });
    await streamB.return();
  });

  it('rejects with a StepwiseError when the subscription is refused', async () => {
    const client = newClient();
    const stream = client.task(randomUUID()).events();
    const error = await stream.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StepwiseError);
    expect(error).toMatchObject({ statusCode: 404, error: 'Not Found' });
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('fails the streams when the server refuses the connection or sends the socket away', async () => {
    const id = randomUUID();
    snapshots.set(id, view(id, 'running', 0));

    const refused = newClient({ 'x-refuse': 'yes' });
    await expect(refused.task(id).events().next()).rejects.toThrow('not welcome');

    const kicked = newClient({ 'x-kick': 'yes' });
    const error = await kicked
      .task(id)
      .events()
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'StepwiseError', statusCode: 401, message: 'No owner for this connection' });
  });

  it('asks again when the server cannot serve a subscription yet (503)', async () => {
    const id = randomUUID();
    snapshots.set(id, view(id, 'completed', 1));
    unavailableOnce.add(id);
    const client = newClient();
    const seen: TaskEvent[] = [];
    for await (const e of client.task(id).events()) seen.push(e);
    expect(seen).toEqual([expect.objectContaining({ event: 'task.completed', synthetic: true })]);
    expect(subscribes.filter((s) => s.taskId === id)).toHaveLength(2);
  });

  it('disconnects once idle, and connects again for the next stream', async () => {
    const id = randomUUID();
    snapshots.set(id, view(id, 'completed', 1));
    const client = newClient({}, 20);
    for await (const e of client.task(id).events()) expect(e.event).toBe('task.completed');
    const first = client.socket;
    expect(first).toBeDefined();
    const deadline = Date.now() + 10_000;
    while (client.socket && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(client.socket).toBeUndefined();
    expect(first!.connected).toBe(false);

    const again: TaskEvent[] = [];
    for await (const e of client.task(id).events()) again.push(e);
    expect(again).toHaveLength(1);
    expect(client.socket).not.toBe(first);
  });

  it('fails the streams once reconnectionAttempts run out', async () => {
    const gone = new Server(createServer());
    gone.of('/tasks').on('connection', (socket) => {
      socket.on('subscribe', (body: { taskId: string }, ack: (answer: unknown) => void) =>
        ack({ ok: true, task: view(body.taskId, 'running', 0) }),
      );
    });
    const port = await new Promise<number>((resolve) => {
      const server = gone.httpServer.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    const client = new StepwiseClient({
      baseUrl: `http://127.0.0.1:${port}`,
      poll: { intervalMs: Infinity, whileLiveMs: Infinity },
      socket: { transports: ['websocket'], reconnectionAttempts: 2, reconnectionDelay: 10, reconnectionDelayMax: 20 },
    });
    clients.push(client);
    const stream = client.task(randomUUID()).events();
    await stream.subscribed();
    const next = stream.next();
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    await expect(next).rejects.toThrow('Could not reconnect');
    expect(client.socket).toBeUndefined();
  });
});
