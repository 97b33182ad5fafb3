import { openSse, type SseResponse } from '../../libs/tasks/src/realtime/testing/sse-client';
import { io, type Socket } from 'socket.io-client';
import { Cluster, waitFor, type EventRow, type TaskView } from './harness/cluster';

/**
 * Live events across processes: a task is submitted to the first API
 * instance, runs in a worker process, and a client of the SECOND API
 * instance follows it, over Socket.IO (namespace `/tasks`) and over SSE
 * (`GET /tasks/{id}/events`). Nothing connects the second instance to the
 * task but the Redis event bus and the shared database.
 *
 * The apps run as built, with their default owner resolver: every caller is
 * the anonymous owner, so no header is needed on either side.
 */

/** What the gateway sends (`TaskEventView`): `type` is the task's type, `event` the event's name. */
interface LiveEvent {
  taskId: string;
  type: string;
  event: string;
  status: string;
  progress: number;
  step?: string;
  stepStatus?: string;
  message?: string;
  at: string;
  seq?: number;
}

interface Received {
  name: string;
  payload: LiveEvent;
  /** Arrival order over the whole socket. */
  index: number;
}

type Ack = { ok: true; task?: TaskView } | { ok: false; error: { statusCode: number; message: string } };

/** Events the gateway and SSE forward (the contract's six, plus pause/resume); the rest of the log is internal. */
const PUBLIC = new Set([
  'task.created',
  'task.progress',
  'task.step',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.paused',
  'task.resumed',
]);
const TERMINAL_EVENTS = ['task.completed', 'task.failed', 'task.cancelled'];

/** A Socket.IO client of one API instance that records every event it gets. */
class Recorder {
  readonly received: Received[] = [];
  readonly socket: Socket;

  constructor(baseUrl: string) {
    this.socket = io(`${baseUrl}/tasks`, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.onAny((name: string, payload: LiveEvent) => {
      this.received.push({ name, payload, index: this.received.length });
    });
  }

  async connected(): Promise<this> {
    if (this.socket.connected) return this;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Socket.IO connection within 10 s')), 10_000);
      this.socket.once('connect', () => (clearTimeout(timer), resolve()));
      this.socket.once('connect_error', (error) => (clearTimeout(timer), reject(error)));
    });
    return this;
  }

  subscribe(taskId: string): Promise<Ack> {
    return this.socket.timeout(10_000).emitWithAck('subscribe', { taskId }) as Promise<Ack>;
  }

  of(taskId: string): Received[] {
    return this.received.filter((r) => r.payload?.taskId === taskId);
  }

  async until(taskId: string, match: (r: Received) => boolean, what: string, timeoutMs = 20_000): Promise<Received> {
    let found: Received | undefined;
    await waitFor(() => (found = this.of(taskId).find(match)) !== undefined, {
      timeoutMs,
      intervalMs: 10,
      what: () => `${what}; got ${JSON.stringify(this.of(taskId).map((r) => [r.name, r.payload.progress]))}`,
    });
    return found!;
  }

  close(): void {
    this.socket.disconnect();
  }
}

async function ended(stream: SseResponse, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => stream.isEnded(), {
    timeoutMs,
    intervalMs: 10,
    what: () => `the event stream to end; got ${stream.messages.map((m) => `${m.id}:${m.event}`).join(', ')}`,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks that hold for the events one socket got for one task: order, monotonic progress, one terminal event, last. */
function expectWellOrdered(events: Received[], terminal: string): void {
  const seqs = events.map((r) => r.payload.seq);
  for (const seq of seqs) expect(typeof seq).toBe('number');
  // In order: the log's order (seq) is the arrival order, with no duplicate.
  expect(seqs).toEqual([...seqs].sort((a, b) => a! - b!));
  expect(new Set(seqs).size).toBe(seqs.length);
  const times = events.map((r) => Date.parse(r.payload.at));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  // Progress never goes backwards.
  const progress = events.map((r) => r.payload.progress);
  for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
  // Exactly one terminal event, the expected one, and nothing after it.
  const terminals = events.filter((r) => TERMINAL_EVENTS.includes(r.name));
  expect(terminals.map((r) => r.name)).toEqual([terminal]);
  expect(events.at(-1)!.name).toBe(terminal);
  // The Socket.IO event name and the payload's `event` agree.
  for (const r of events) expect(r.payload.event).toBe(r.name);
}

/** Every event the socket got is the log's event of that seq, as recorded. */
function expectFromLog(events: Received[], log: EventRow[]): void {
  const bySeq = new Map(log.map((e) => [e.seq, e]));
  for (const { name, payload } of events) {
    const row = bySeq.get(payload.seq!);
    expect(row).toBeDefined();
    expect([name, payload.status, payload.progress, payload.step ?? null]).toEqual([
      row!.type,
      row!.status,
      row!.progress,
      row!.step,
    ]);
  }
}

describe('live events across API instances (Socket.IO and SSE)', () => {
  const cluster = new Cluster({ apis: 2, workers: 1 });
  let recorder: Recorder | undefined;

  beforeAll(async () => {
    await cluster.start();
  }, 150_000);

  afterAll(async () => {
    recorder?.close();
    await cluster.stop();
  }, 60_000);

  it('runs two distinct API processes on their own ports', () => {
    expect(cluster.apiPorts).toHaveLength(2);
    expect(cluster.apiPorts[0]).not.toBe(cluster.apiPorts[1]);
    expect(cluster.apis[1]!.pid).not.toBe(cluster.apis[0]!.pid);
    expect(cluster.url('/x')).toBe(cluster.apiUrl(0, '/x'));
  });

  it("delivers a worker's events, in order, to a socket of the second instance", async () => {
    await cluster.diagnose(async () => {
      recorder = await new Recorder(cluster.apiBaseUrl(1)).connected();
      const task = await cluster.submit('countdown', { ticks: 8, tickMs: 150 });

      // Connected before the submit: the owner's room of instance 2 gets task.created from instance 1.
      await recorder.until(task.id, (r) => r.name === 'task.created', 'task.created on instance 2');

      const ack = await recorder.subscribe(task.id);
      expect(ack.ok).toBe(true);
      const snapshot = (ack as { ok: true; task: TaskView }).task;
      expect(snapshot).toMatchObject({ id: task.id, type: 'countdown' });
      expect(['pending', 'running']).toContain(snapshot.status);
      expect(snapshot.steps.map((s) => s.name)).toEqual(['countDown']);

      await recorder.until(task.id, (r) => r.name === 'task.completed', 'task.completed on instance 2');
      await sleep(500); // a duplicate or a straggler would be here by now
      const events = recorder.of(task.id);
      expectWellOrdered(events, 'task.completed');
      const names = events.map((r) => r.name);
      expect(names[0]).toBe('task.created');
      expect(events.find((r) => r.name === 'task.completed')!.payload).toMatchObject({
        taskId: task.id,
        type: 'countdown',
        status: 'completed',
        progress: 1,
      });

      // The step events: `completed` always (the countdown outlasts the subscription); `running`
      // too when the snapshot showed the step pending. When it showed it running, the `running`
      // event may still come (it was recorded between the join and the snapshot read): then
      // both are there, at most once each.
      const steps = events.filter((r) => r.name === 'task.step').map((r) => [r.payload.step, r.payload.stepStatus]);
      const expectedSteps = [
        ['countDown', 'running'],
        ['countDown', 'completed'],
      ];
      if (snapshot.steps[0].status === 'pending') expect(steps).toEqual(expectedSteps);
      else expect([expectedSteps, expectedSteps.slice(1)]).toContainEqual(steps);
      const progress = events.filter((r) => r.name === 'task.progress');
      expect(progress.length).toBeGreaterThanOrEqual(2);
      // Progress events carry the step and the countdown's message.
      expect(progress.at(-1)!.payload).toMatchObject({ step: 'countDown', status: 'running' });
      expect(progress.at(-1)!.payload.message).toMatch(/^tick \d+\/8$/);
      // Nothing of the task came before the snapshot's progress.
      expect(progress[0].payload.progress).toBeGreaterThanOrEqual(snapshot.progress);

      // Each event is the log's, and every step and terminal event of the log after the
      // subscription reached the socket (only progress may be thinned by the throttle).
      const log = await cluster.events(task.id);
      expectFromLog(events, log);
      const firstLive = events.find((r) => r.name !== 'task.created')!.payload.seq!;
      const mustHave = log
        .filter((e) => e.seq >= firstLive && PUBLIC.has(e.type) && e.type !== 'task.progress')
        .map((e) => e.seq);
      const got = new Set(events.map((r) => r.payload.seq));
      expect(mustHave.filter((seq) => !got.has(seq))).toEqual([]);

      // Across processes for real: the worker ran the step, no api instance did.
      expect((await cluster.claims(task.id)).map((c) => c.pid)).toEqual([cluster.workers[0]!.pid]);
      expect(cluster.deadProcesses()).toEqual([]);
    })();
  }, 60_000);

  it('sends task.cancelled to the second instance when the first takes the cancel', async () => {
    await cluster.diagnose(async () => {
      recorder ??= await new Recorder(cluster.apiBaseUrl(1)).connected();
      const task = await cluster.submit('countdown', { ticks: 400, tickMs: 50 }); // 20 s if nobody stops it
      const ack = await recorder.subscribe(task.id);
      expect(ack).toMatchObject({ ok: true, task: { id: task.id } });
      // Live first: a progress event from the worker reached instance 2.
      await recorder.until(task.id, (r) => r.name === 'task.progress', 'a task.progress on instance 2');

      const sent = Date.now();
      const res = await cluster.fetch(`/tasks/${task.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(202);
      const cancelled = await recorder.until(
        task.id,
        (r) => r.name === 'task.cancelled',
        'task.cancelled on instance 2',
        10_000,
      );
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect(cancelled.payload).toMatchObject({ taskId: task.id, type: 'countdown', status: 'cancelled' });
      expect(cancelled.payload.progress).toBeLessThan(1);

      await sleep(500);
      const events = recorder.of(task.id);
      expectWellOrdered(events, 'task.cancelled');
      expect(events.some((r) => r.name === 'task.completed')).toBe(false);
      expectFromLog(events, await cluster.events(task.id));
      expect((await cluster.get(task.id)).status).toBe('cancelled');
    })();
  }, 60_000);

  it('streams SSE from the second instance, and a Last-Event-ID resume replays only later events', async () => {
    await cluster.diagnose(async () => {
      const port = cluster.apiPorts[1]!;
      const task = await cluster.submit('countdown', { ticks: 10, tickMs: 150 });

      // First connection: read a few live messages, then drop it mid-run.
      const first = await openSse(port, `/tasks/${task.id}/events`);
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
      await waitFor(() => first.messages.filter((m) => m.event === 'task.progress').length >= 2, {
        timeoutMs: 10_000,
        intervalMs: 10,
        what: () => `two progress messages; got ${first.messages.map((m) => m.event).join(', ')}`,
      });
      first.close();
      const firstPart = [...first.messages];
      const lastId = firstPart.at(-1)!.id!;
      expect(lastId).toMatch(/^\d+$/);
      expect(firstPart.some((m) => TERMINAL_EVENTS.includes(m.event!))).toBe(false);

      // Resume where it stopped: only later events, then the stream ends after the terminal event.
      const second = await openSse(port, `/tasks/${task.id}/events`, { 'Last-Event-ID': lastId });
      expect(second.status).toBe(200);
      await ended(second);
      const secondPart = second.messages;
      expect(secondPart.length).toBeGreaterThan(0);
      for (const m of secondPart) expect(Number(m.id)).toBeGreaterThan(Number(lastId));
      expect(secondPart.at(-1)!.event).toBe('task.completed');

      // Together, the two are the task's public log: every event once, in order, ids from the log.
      const log = (await cluster.events(task.id)).filter((e) => PUBLIC.has(e.type));
      const joined = [...firstPart, ...secondPart];
      expect(joined.map((m) => [Number(m.id), m.event])).toEqual(log.map((e) => [e.seq, e.type]));
      for (const m of joined) {
        const data = JSON.parse(m.data!) as LiveEvent;
        expect(data).toMatchObject({ taskId: task.id, type: 'countdown', event: m.event, seq: Number(m.id) });
      }
      const progress = joined.map((m) => (JSON.parse(m.data!) as LiveEvent).progress);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);

      // After the end: a resume from the middle replays exactly the events after it...
      const middle = log[Math.floor(log.length / 2)];
      const replay = await openSse(port, `/tasks/${task.id}/events`, { 'Last-Event-ID': String(middle.seq) });
      expect(replay.status).toBe(200);
      await ended(replay);
      expect(replay.messages.map((m) => Number(m.id))).toEqual(log.filter((e) => e.seq > middle.seq).map((e) => e.seq));
      // ... and a client that already has the terminal event gets 204 (EventSource stops reconnecting).
      const done = await openSse(port, `/tasks/${task.id}/events`, { 'Last-Event-ID': String(log.at(-1)!.seq) });
      await ended(done);
      expect(done.status).toBe(204);
      expect(done.messages).toEqual([]);
    })();
  }, 60_000);
});
