import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MemoryEventBus } from '../adapters/memory/memory-event-bus';
import type { TaskEvent } from '../model';
import { ends, eventually, openGate, openSse, startApp, type SseMessage, type TestApp } from './testing/realtime';
import { SseStreams } from './task-events.controller';

const TERMINAL = ['task.completed', 'task.failed', 'task.cancelled'];
const KEEP_ALIVE_MS = 100;

/** An in-process bus that loses the messages the test says (a Redis outage, say). */
class LossyEventBus extends MemoryEventBus {
  drop: (event: TaskEvent) => boolean = () => false;

  override async publish(event: TaskEvent): Promise<void> {
    if (!this.drop(event)) await super.publish(event);
  }
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

describe('GET /tasks/:id/events (SSE)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-rt-sse-'));
  const bus = new LossyEventBus();
  let t: TestApp;

  const stream = (id: string, owner: string, headers: Record<string, string> = {}, query = '') =>
    openSse(t.port, `/tasks/${id}/events${query}`, { 'x-owner-id': owner, ...headers });
  const data = (m: SseMessage) => JSON.parse(m.data ?? 'null') as Record<string, unknown>;

  beforeAll(async () => {
    t = await startApp(dataDir, { eventBus: bus, realtime: { keepAliveMs: KEEP_ALIVE_MS } });
  });

  afterEach(() => {
    bus.drop = () => false;
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('a finished task', () => {
    const owner = unique('alice');
    let id: string;
    let full: SseMessage[];

    beforeAll(async () => {
      id = await t.submit('rt-countdown', { ticks: 5, tickMs: 5 }, owner);
      const res = await stream(id, owner);
      await ends(res);
      full = res.messages;
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-accel-buffering']).toBe('no');
    });

    it('streams every event and ends after task.completed, ids increasing', () => {
      const names = full.map((m) => m.event);
      expect(names[0]).toBe('task.created');
      expect(names.at(-1)).toBe('task.completed');
      expect(names.filter((n) => TERMINAL.includes(n!))).toEqual(['task.completed']);
      expect(names).toContain('task.progress');
      expect(names).not.toContain('task.compensating');
      const ids = full.map((m) => Number(m.id));
      expect(ids.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
      for (const m of full) {
        expect(data(m)).toMatchObject({ taskId: id, type: 'rt-countdown', event: m.event, seq: Number(m.id) });
        expect(data(m)).not.toHaveProperty('owner');
      }
      const progress = full.map((m) => data(m).progress as number);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(data(full.at(-1)!)).toMatchObject({ status: 'completed', progress: 1 });
    });

    it('replays exactly the events after Last-Event-ID, then ends', async () => {
      const middle = Math.floor(full.length / 2);
      const res = await stream(id, owner, { 'Last-Event-ID': full[middle].id! });
      await ends(res);
      expect(res.status).toBe(200);
      expect(res.messages).toEqual(full.slice(middle + 1));
    });

    it('takes the id from ?lastEventId= too, the header winning over it', async () => {
      const res = await stream(id, owner, {}, `?lastEventId=${full[1].id}`);
      await ends(res);
      expect(res.messages).toEqual(full.slice(2));
      const both = await stream(id, owner, { 'Last-Event-ID': full[2].id! }, `?lastEventId=${full[0].id}`);
      await ends(both);
      expect(both.messages).toEqual(full.slice(3));
    });

    it('answers 204 to a client that already has the terminal event (EventSource stops reconnecting)', async () => {
      const res = await stream(id, owner, { 'Last-Event-ID': full.at(-1)!.id! });
      await ends(res);
      expect(res.status).toBe(204);
      expect(res.raw).toBe('');
    });

    it("is a 404 for another owner's task, an unknown task and an id that is not a UUID", async () => {
      for (const [path, who] of [
        [`/tasks/${id}/events`, unique('bob')],
        ['/tasks/00000000-0000-4000-8000-000000000000/events', owner],
        ['/tasks/not-a-uuid/events', owner],
      ]) {
        const res = await request(t.app.getHttpServer()).get(path).set('x-owner-id', who);
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
    });

    it('is a 400 for a Last-Event-ID that is not an event id, before any stream starts', async () => {
      for (const bad of ['abc', '-1', '1.5', '1e3', '99999999999999999999']) {
        const res = await request(t.app.getHttpServer())
          .get(`/tasks/${id}/events`)
          .set('x-owner-id', owner)
          .set('Last-Event-ID', bad);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({
          statusCode: 400,
          error: 'Bad Request',
          details: [{ field: 'Last-Event-ID' }],
        });
      }
      const query = await request(t.app.getHttpServer())
        .get(`/tasks/${id}/events?lastEventId=x`)
        .set('x-owner-id', owner);
      expect(query.status).toBe(400);
      expect(query.body).toMatchObject({ details: [{ field: 'lastEventId' }] });
    });
  });

  it('replays what happened, then follows the running task live to its end, without duplicates', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 4, tickMs: 10, gate }, owner);
    const res = await stream(id, owner);
    expect(res.status).toBe(200);
    // The replay: created, and the held step running.
    await eventually(
      () => (res.messages.some((m) => m.event === 'task.step' && data(m).step === 'hold') ? true : undefined),
      () => `replay; got ${res.messages.map((m) => m.event).join(', ')}`,
    );
    expect(res.isEnded()).toBe(false);

    openGate(gate);
    await ends(res);
    const names = res.messages.map((m) => m.event);
    expect(names[0]).toBe('task.created');
    expect(names.at(-1)).toBe('task.completed');
    const ids = res.messages.map((m) => Number(m.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    expect(
      await eventually(
        () => (t.app.get(SseStreams).size === 0 ? true : undefined),
        () => 'streams closed',
      ),
    ).toBe(true);
  });

  it('sends keep-alive comments while idle, and cleans up when the client leaves', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 1, tickMs: 0, gate }, owner);
    const res = await stream(id, owner);
    await eventually(
      () => (res.comments.includes('keep-alive') ? true : undefined),
      () => `no keep-alive comment; raw so far ${JSON.stringify(res.raw)}`,
    );
    expect(t.app.get(SseStreams).size).toBe(1);
    res.close();
    await eventually(
      () => (t.app.get(SseStreams).size === 0 ? true : undefined),
      () => 'the stream is still registered after the client left',
    );
    openGate(gate);
  });

  it('still ends with the terminal event when the bus lost it (caught up from the log at a keep-alive)', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 2, tickMs: 1, gate }, owner);
    const res = await stream(id, owner);
    await eventually(
      () => (res.messages.length > 0 ? true : undefined),
      () => 'replay',
    );
    bus.drop = (e) => e.taskId === id && e.type === 'task.completed';

    openGate(gate);
    await ends(res, 10 * KEEP_ALIVE_MS + 5_000);
    const names = res.messages.map((m) => m.event);
    expect(names.at(-1)).toBe('task.completed');
    expect(names.filter((n) => n === 'task.completed')).toHaveLength(1);
  });

  it('ends when the task is deleted while streaming', async () => {
    const owner = unique('alice');
    const gate = unique('gate');
    const id = await t.submit('rt-countdown', { ticks: 1, tickMs: 0, gate }, owner);
    const res = await stream(id, owner);
    await eventually(
      () => (res.messages.length > 0 ? true : undefined),
      () => 'replay',
    );
    // Unfinished: cancelled, then deleted once it has ended.
    const deleted = await request(t.app.getHttpServer()).delete(`/tasks/${id}`).set('x-owner-id', owner);
    expect(deleted.status).toBe(202);
    await ends(res, 10 * KEEP_ALIVE_MS + 5_000);
    openGate(gate);
  });
});
