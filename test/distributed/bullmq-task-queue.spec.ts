import { Queue } from 'bullmq';
import { BullMqTaskQueue } from '../../libs/tasks/src/adapters/bullmq';
import { RedisServer } from './harness/redis-server';

const redis = new RedisServer();
let queue: BullMqTaskQueue | undefined;

beforeAll(async () => {
  await redis.start();
}, 30_000);

afterAll(async () => {
  await queue?.close();
  await redis.stop();
});

describe('BullMqTaskQueue', () => {
  it('sends the dispatches made together as one addBulk; each wake-up arrives once', async () => {
    queue = new BullMqTaskQueue({ connection: { host: '127.0.0.1', port: redis.port }, prefix: 'bulk-test' });
    const received: string[] = [];
    await queue.consume('q', 'worker', async (taskId) => void received.push(taskId), { concurrency: 10 });
    const bulk = jest.spyOn(Queue.prototype, 'addBulk');
    const add = jest.spyOn(Queue.prototype, 'add');
    const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const dispatch = (taskId: string) => queue!.dispatch({ taskId, queue: 'q', placement: 'worker', priority: 0 });
    // Idle, the first goes at once; the others (one of them twice: same job id) follow as one addBulk.
    await Promise.all([...ids, 't3'].map(dispatch));
    expect(add).toHaveBeenCalledTimes(1);
    expect(bulk).toHaveBeenCalledTimes(1);
    expect(bulk.mock.calls[0][0]).toHaveLength(20);
    for (let i = 0; i < 200 && received.length < ids.length; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect([...received].sort()).toEqual([...ids].sort());
    bulk.mockRestore();
    add.mockRestore();
  });

  it('dispatchMany sends one addBulk per lane', async () => {
    queue ??= new BullMqTaskQueue({ connection: { host: '127.0.0.1', port: redis.port }, prefix: 'bulk-test' });
    const received: string[] = [];
    await queue.consume('many', 'worker', async (taskId) => void received.push(taskId), { concurrency: 10 });
    const bulk = jest.spyOn(Queue.prototype, 'addBulk');
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await queue.dispatchMany(ids.map((taskId) => ({ taskId, queue: 'many', placement: 'worker', priority: 0 })));
    expect(bulk).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 200 && received.length < ids.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect([...received].sort()).toEqual([...ids].sort());
    bulk.mockRestore();
  });
});
