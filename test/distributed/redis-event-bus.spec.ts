import { RedisEventBus, redisOptionsFromUrl } from '../../libs/tasks/src/adapters/redis';
import type { TaskEvent, TaskEventType } from '../../libs/tasks/src/model';
import { RedisServer } from './harness/redis-server';

const redis = new RedisServer();
const buses: RedisEventBus[] = [];

beforeAll(async () => {
  await redis.start();
}, 30_000);

afterAll(async () => {
  for (const bus of buses) await bus.close();
  await redis.stop();
});

function bus(options?: { allEvents?: boolean }): RedisEventBus {
  const created = new RedisEventBus(redisOptionsFromUrl(redis.url), 'test:events', options);
  buses.push(created);
  return created;
}

function event(type: TaskEventType, seq: number): TaskEvent {
  return { seq, taskId: 't1', owner: 'alice', type, taskType: 'noop', status: 'running', progress: 0, at: seq };
}

/** Resolves with what `received` holds once it has `count` entries (or after 2 s). */
async function collected<T>(received: T[], count: number): Promise<T[]> {
  for (let i = 0; i < 200 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  return received;
}

describe('RedisEventBus', () => {
  it('delivers every event to a listener of everything and only its types to a typed one, each once and in order', async () => {
    const api = bus();
    const worker = bus({ allEvents: false });
    const all: string[] = [];
    const cancels: string[] = [];
    const both: string[] = [];
    api.subscribe((e) => all.push(`${e.type}#${e.seq}`));
    worker.subscribe((e) => cancels.push(`${e.type}#${e.seq}`), { types: ['task.cancel_requested'] });
    // On one bus, a listener of everything beside a typed one: no duplicates either way.
    api.subscribe((e) => both.push(`${e.type}#${e.seq}`), { types: ['task.cancel_requested'] });
    await api.whenReady();
    await worker.whenReady();

    const publisher = bus({ allEvents: false });
    await publisher.whenReady();
    const types: TaskEventType[] = [
      'task.step',
      'task.progress',
      'task.cancel_requested',
      'task.progress',
      'task.completed',
    ];
    types.forEach((type, i) => void publisher.publish(event(type, i + 1)));

    expect(await collected(all, 5)).toEqual([
      'task.step#1',
      'task.progress#2',
      'task.cancel_requested#3',
      'task.progress#4',
      'task.completed#5',
    ]);
    expect(await collected(cancels, 1)).toEqual(['task.cancel_requested#3']);
    expect(both).toEqual(['task.cancel_requested#3']);
  });

  it('stops delivering to a listener once it unsubscribes, and keeps its other listeners', async () => {
    const worker = bus({ allEvents: false });
    const first: number[] = [];
    const second: number[] = [];
    const stopFirst = worker.subscribe((e) => first.push(e.seq!), { types: ['task.cancel_requested'] });
    worker.subscribe((e) => second.push(e.seq!), { types: ['task.cancel_requested'] });
    await worker.whenReady();
    await worker.publish(event('task.cancel_requested', 1));
    await collected(second, 1);
    stopFirst();
    await worker.whenReady();
    await worker.publish(event('task.cancel_requested', 2));
    expect(await collected(second, 2)).toEqual([1, 2]);
    expect(first).toEqual([1]);
  });
});
