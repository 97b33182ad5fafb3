import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskEngine } from '../engine/task-engine';
import type { TaskView } from '../web/task-view';
import {
  connected,
  eventually,
  openGate,
  openSocket,
  startApp,
  type Received,
  type RecordingSocket,
  type TestApp,
} from './testing/realtime';
import type { SubscriptionAck } from './task-events.gateway';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TERMINAL = ['task.completed', 'task.failed', 'task.cancelled'];

let counter = 0;
/** A fresh owner (and gate name) per test: nothing of one test reaches another. */
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

describe('TaskEventsGateway (Socket.IO, namespace /tasks)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rt-ws-'));
  let t: TestApp;
  const sockets: RecordingSocket[] = [];

  const connect = async (owner: string, headers: Record<string, string> = {}) => {
    const socket = openSocket(t.port, { 'x-owner-id': owner, ...headers });
    sockets.push(socket);
    return connected(socket);
  };
  const subscribe = (socket: RecordingSocket, taskId: unknown) => socket.ack<SubscriptionAck>('subscribe', { taskId });
  /** A round trip on the socket: every event emitted to it before is in `received` after. */
  const roundTrip = (socket: RecordingSocket) =>
    socket.ack('unsubscribe', { taskId: '00000000-0000-4000-8000-000000000000' });

  beforeAll(async () => {
    t = await startApp(dataDir);
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledges a subscribe with a snapshot of the task', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 2, tickMs: 1, gate }, owner);
    const socket = await connect(owner);

    const ack = await subscribe(socket, id);
    expect(ack.ok).toBe(true);
    const task = (ack as { task: TaskView }).task;
    expect(task).toMatchObject({
      id,
      type: 'rt-countdown',
      links: { self: `/tasks/${id}`, events: `/tasks/${id}/events`, audit: `/tasks/${id}/audit` },
    });
    expect(['pending', 'running']).toContain(task.status);
    expect(task.steps.map((s) => s.name)).toEqual(['hold', 'countDown']);
    // Upper-case ids name the same task.
    expect(await subscribe(socket, id.toUpperCase())).toMatchObject({ ok: true, task: { id } });

    openGate(gate);
    await socket.until((r) => r.event === 'task.completed' && r.payload.taskId === id, 'task.completed');
  });

  it('sends the events of a subscribed task in order, progress never going back, one terminal event last', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 6, tickMs: 15, gate }, owner);
    const socket = await connect(owner);
    expect((await subscribe(socket, id)).ok).toBe(true);

    openGate(gate);
    await socket.until((r) => r.event === 'task.completed' && r.payload.taskId === id, 'task.completed');
    await roundTrip(socket);
    const events = socket.of(id);
    const names = events.map((r) => r.event);

    expect(events.filter((r) => TERMINAL.includes(r.event)).map((r) => r.event)).toEqual(['task.completed']);
    expect(names.at(-1)).toBe('task.completed');
    const running = names.findIndex((_, i) => isStep(events[i], 'countDown', 'running'));
    const done = names.findIndex((_, i) => isStep(events[i], 'countDown', 'completed'));
    const progress = events.flatMap((r, i) => (r.event === 'task.progress' ? [i] : []));
    expect(running).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(running);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((i) => i > running && i < done)).toBe(true);
    // The hold step was running when the socket subscribed: its end is the first thing that can follow.
    const held = names.findIndex((_, i) => isStep(events[i], 'hold', 'completed'));
    expect(held).toBeGreaterThanOrEqual(0);
    expect(held).toBeLessThan(running);
    expect(events.slice(0, held).every((r) => isStep(r, 'hold', 'running'))).toBe(true);

    const values = events.map((r) => r.payload.progress as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const seqs = events.map((r) => r.payload.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    for (const { event, payload } of events) {
      expect(payload).toMatchObject({ taskId: id, type: 'rt-countdown', event });
      expect(typeof payload.status).toBe('string');
      expect(payload.at).toMatch(ISO);
      expect(payload).not.toHaveProperty('owner');
    }
    expect(events.at(-1)?.payload).toMatchObject({ status: 'completed', progress: 1 });
    expect(events.find((r) => r.event === 'task.progress')?.payload).toMatchObject({
      step: 'countDown',
      status: 'running',
      message: expect.stringMatching(/^tick \d\/6$/),
    });
  });

  it("refuses another owner's task as if it did not exist, and a taskId that is not a UUID", async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 1, tickMs: 1, gate }, owner);
    const bob = await connect(unique('bob'));

    const refused = await subscribe(bob, id);
    expect(refused).toMatchObject({ ok: false, error: { statusCode: 404, error: 'Not Found' } });
    // The same answer as for a task that does not exist at all.
    const missing = await subscribe(bob, '00000000-0000-4000-8000-000000000000');
    expect(missing).toMatchObject({ ok: false, error: { statusCode: 404, error: 'Not Found' } });
    expect(Object.keys((missing as { error: object }).error).sort()).toEqual(
      Object.keys((refused as { error: object }).error).sort(),
    );
    for (const bad of ['nope', 42, null, undefined, `${id}x`]) {
      expect(await subscribe(bob, bad)).toMatchObject({ ok: false, error: { statusCode: 400 } });
    }
    expect(await bob.ack('subscribe', 'not an object')).toMatchObject({ ok: false, error: { statusCode: 400 } });

    // Bob's socket sits in no room of that task: it gets nothing of it.
    const alice = await connect(owner);
    await subscribe(alice, id);
    openGate(gate);
    await alice.until((r) => r.event === 'task.completed' && r.payload.taskId === id, 'task.completed');
    await roundTrip(bob);
    expect(bob.of(id)).toEqual([]);
  });

  it('refuses a connection the owner resolver rejects, with an error event', async () => {
    const socket = openSocket(t.port, { 'x-reject': '1' });
    sockets.push(socket);
    const disconnected = new Promise<string>((resolve) => socket.socket.on('disconnect', resolve));
    const error = await socket.until((r) => r.event === 'error', 'error event');
    expect(error.payload).toMatchObject({ statusCode: 401, message: 'rejected by the test resolver' });
    expect(await disconnected).toBe('io server disconnect');
  });

  it.each([
    ['no owner header', {}],
    ['an empty owner header', { 'x-owner-id': '' }],
    ['an over-long owner header', { 'x-owner-id': 'o'.repeat(201) }],
  ])('refuses a handshake with %s (no shared owner): 401 error event and a disconnect', async (_name, headers) => {
    const socket = openSocket(t.port, headers);
    sockets.push(socket);
    const disconnected = new Promise<string>((resolve) => socket.socket.on('disconnect', resolve));
    const error = await socket.until((r) => r.event === 'error', 'error event');
    expect(error.payload).toMatchObject({ statusCode: 401, message: expect.stringContaining('x-owner-id') });
    expect(await disconnected).toBe('io server disconnect');
  });

  it("sends task.created to the owner's room, to sockets that subscribed to nothing", async () => {
    const alice = unique('alice');
    const bob = unique('bob');
    const aliceSocket = await connect(alice);
    const bobSocket = await connect(bob);

    const aliceTask = await t.submit('rt-countdown', { ticks: 1, tickMs: 0 }, alice);
    const created = await aliceSocket.until(
      (r) => r.event === 'task.created' && r.payload.taskId === aliceTask,
      "alice's task.created",
    );
    expect(created.payload).toMatchObject({
      taskId: aliceTask,
      type: 'rt-countdown',
      event: 'task.created',
      status: 'pending',
      progress: 0,
    });

    const bobTask = await t.submit('rt-countdown', { ticks: 1, tickMs: 0 }, bob);
    await bobSocket.until((r) => r.event === 'task.created' && r.payload.taskId === bobTask, "bob's task.created");
    // Alice's task.created was emitted first: had it reached Bob, it would be there already.
    expect(bobSocket.received.filter((r) => r.event === 'task.created').map((r) => r.payload.taskId)).toEqual([
      bobTask,
    ]);
    // Only task.created goes to the owner's room: no step or terminal event of unsubscribed tasks.
    await eventually(
      async () => ((await t.app.get(TaskEngine).get(aliceTask, alice)).status === 'completed' ? true : undefined),
      () => 'alice task completes',
    );
    await roundTrip(aliceSocket);
    expect(aliceSocket.of(aliceTask).map((r) => r.event)).toEqual(['task.created']);
  });

  it('throttles a burst of progress, keeps the latest value and never drops the terminal event', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-burst', { reports: 600, gate }, owner);
    const socket = await connect(owner);
    await subscribe(socket, id);

    openGate(gate);
    await socket.until((r) => r.event === 'task.completed' && r.payload.taskId === id, 'task.completed');
    await roundTrip(socket);
    const events = socket.of(id);
    const log = await t.app.get(TaskEngine).listEvents(id, owner);

    expect(events.filter((r) => TERMINAL.includes(r.event))).toHaveLength(1);
    expect(events.at(-1)?.event).toBe('task.completed');
    // Fewer progress events than the log holds (the engine wrote one every 5 ms, the gateway sends one per 20 ms).
    const sent = events.filter((r) => r.event === 'task.progress');
    const logged = log.filter((e) => e.type === 'task.progress');
    expect(logged.length).toBeGreaterThan(10);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThan(logged.length);
    // Each one sent is one of the log, in order, never going back.
    const loggedSeqs = new Set(logged.map((e) => e.seq));
    expect(sent.every((r) => loggedSeqs.has(r.payload.seq as number))).toBe(true);
    const values = events.map((r) => r.payload.progress as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    // Step events all arrive (none dropped), in the log's order, from the first one the socket got.
    const firstSeq = events[0].payload.seq as number;
    expect(events.filter((r) => r.event === 'task.step').map((r) => r.payload.seq)).toEqual(
      log.filter((e) => e.type === 'task.step' && (e.seq as number) >= firstSeq).map((e) => e.seq),
    );
    // The latest value wins: the last progress before the step ends is the log's last one.
    const burstDone = (list: Array<{ step?: unknown; stepStatus?: unknown; seq?: unknown }>) =>
      list.find((e) => e.step === 'burst' && e.stepStatus === 'completed')?.seq as number;
    const lastBefore = (seq: number, list: Array<{ progress: unknown; seq?: unknown }>) =>
      list.filter((e) => (e.seq as number) < seq).at(-1)?.progress;
    const doneSeq = burstDone(log);
    expect(burstDone(events.map((r) => r.payload))).toBe(doneSeq);
    expect(
      lastBefore(
        doneSeq,
        sent.map((r) => r.payload as { progress: unknown; seq: unknown }),
      ),
    ).toBe(lastBefore(doneSeq, logged));
  });

  it('stops sending events after unsubscribe', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 3, tickMs: 5, gate }, owner);
    const quitter = await connect(owner);
    const witness = await connect(owner);
    await subscribe(quitter, id);
    await subscribe(witness, id);

    expect(await quitter.ack('unsubscribe', { taskId: id })).toEqual({ ok: true });
    expect(await quitter.ack('unsubscribe', { taskId: 'bad' })).toMatchObject({
      ok: false,
      error: { statusCode: 400 },
    });
    openGate(gate);
    await witness.until((r) => r.event === 'task.completed' && r.payload.taskId === id, 'witness: task.completed');
    expect(witness.of(id).length).toBeGreaterThan(3);
    await roundTrip(quitter);
    expect(quitter.of(id)).toEqual([]);
  });
});

describe('TaskEventsGateway on a custom path', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rt-path-'));
  let t: TestApp;
  const sockets: RecordingSocket[] = [];

  beforeAll(async () => {
    t = await startApp(dataDir, { realtime: { path: '/live/io' } });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves Socket.IO on realtime.path', async () => {
    const owner = unique('carol');
    const socket = openSocket(t.port, { 'x-owner-id': owner }, '/live/io');
    sockets.push(socket);
    await connected(socket);
    const id = await t.submit('rt-countdown', { ticks: 1, tickMs: 0 }, owner);
    expect(await socket.ack('subscribe', { taskId: id })).toMatchObject({ ok: true, task: { id } });

    const elsewhere = openSocket(t.port, { 'x-owner-id': owner });
    sockets.push(elsewhere);
    await expect(connected(elsewhere)).rejects.toThrow();
  });
});

function isStep(received: Received | undefined, step: string, stepStatus: string): boolean {
  return (
    received?.event === 'task.step' && received.payload.step === step && received.payload.stepStatus === stepStatus
  );
}
