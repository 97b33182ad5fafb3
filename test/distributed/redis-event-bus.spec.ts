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

describe('RedisEventBus: events published together', () => {
  it('travel as one message per type, each task in order, a typed listener getting only its type', async () => {
    const api = bus();
    const worker = bus({ allEvents: false });
    const all: string[] = [];
    const cancels: string[] = [];
    api.subscribe((e) => all.push(`${e.taskId}:${e.type}`));
    worker.subscribe((e) => cancels.push(`${e.taskId}:${e.type}`), { types: ['task.cancel_requested'] });
    await api.whenReady();
    await worker.whenReady();
    // What reaches Redis: the raw messages on the bus's channels.
    const raw: string[] = [];
    const spy = bus({ allEvents: false });
    spy.subscribe(() => undefined);
    (spy as unknown as { subscriber: { on(e: string, f: (...a: string[]) => void): void } }).subscriber.on(
      'pmessage',
      (_p, _c, message) => raw.push(message),
    );
    await spy.whenReady();

    const publisher = bus({ allEvents: false });
    await publisher.whenReady();
    const tasks = ['a', 'b', 'c', 'd'];
    const sent = tasks.flatMap((taskId) =>
      (['task.step', 'task.cancel_requested', 'task.completed'] as const).map((type) => ({
        ...event(type, 0),
        taskId,
      })),
    );
    // The bus is idle: the first goes at once, alone; the others follow it together.
    await Promise.all([event('task.progress', 0), ...sent].map((e) => publisher.publish(e)));
    await collected(all, sent.length + 1);
    expect(all.shift()).toBe('t1:task.progress');
    expect(await collected(all, sent.length)).toEqual(sent.map((e) => `${e.taskId}:${e.type}`).sort(byTask(tasks)));
    for (const taskId of tasks) {
      expect(all.filter((e) => e.startsWith(`${taskId}:`))).toEqual([
        `${taskId}:task.step`,
        `${taskId}:task.cancel_requested`,
        `${taskId}:task.completed`,
      ]);
    }
    expect(await collected(cancels, tasks.length)).toEqual(tasks.map((t) => `${t}:task.cancel_requested`));
    // One message for the first, then one per type.
    expect(raw).toHaveLength(4);
  });

  it('takes every event only while a listener of everything listens (an API instance nobody watches takes none)', async () => {
    // Its own channel: PUBSUB NUMPAT counts distinct patterns, and the other tests' eager buses hold theirs.
    const lazyBus = () => {
      const created = new RedisEventBus(redisOptionsFromUrl(redis.url), 'lazy:events', { allEvents: false });
      buses.push(created);
      return created;
    };
    const inspector = lazyBus();
    await inspector.whenReady();
    const patterns = async () =>
      Number(
        await (inspector as unknown as { publisher: { pubsub(...args: string[]): Promise<unknown> } }).publisher.pubsub(
          'NUMPAT',
        ),
      );
    const others = await patterns();
    const api = lazyBus();
    await api.whenReady();
    expect(await patterns()).toBe(others);

    const first: number[] = [];
    const second: number[] = [];
    const stopFirst = api.subscribe((e) => first.push(e.seq!));
    const firstReady = api.whenReady();
    // Subscribes while the first one's subscription is on its way: its wait covers that subscription too.
    const stopSecond = api.subscribe((e) => second.push(e.seq!));
    await api.whenReady();
    expect(await patterns()).toBe(others + 1);
    await firstReady;
    await inspector.publish(event('task.progress', 1));
    expect(await collected(second, 1)).toEqual([1]);
    expect(await collected(first, 1)).toEqual([1]);

    stopFirst();
    stopSecond();
    await api.whenReady();
    expect(await patterns()).toBe(others);
    await inspector.publish(event('task.progress', 2));
    await new Promise((r) => setTimeout(r, 100));
    expect([first, second]).toEqual([[1], [1]]);
  });
});

/** Sorts "task:type" entries by the order of their type in a batch (step, cancel, completed), then by task. */
function byTask(tasks: string[]) {
  const types = ['task.step', 'task.cancel_requested', 'task.completed'];
  return (x: string, y: string) => {
    const [tx, ex] = x.split(':');
    const [ty, ey] = y.split(':');
    return types.indexOf(ex) - types.indexOf(ey) || tasks.indexOf(tx) - tasks.indexOf(ty);
  };
}
