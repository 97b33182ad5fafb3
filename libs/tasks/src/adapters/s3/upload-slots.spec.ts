import { UploadSlots } from './upload-slots';

describe('UploadSlots', () => {
  it('lets `size` uploads run and queues the others in order', async () => {
    const slots = new UploadSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    await Promise.resolve();
    expect([slots.active, slots.queued, order]).toEqual([2, 2, []]);
    a();
    a(); // twice is once
    const releaseC = await c;
    expect([slots.active, slots.queued, order]).toEqual([2, 1, ['c']]);
    b();
    await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    expect(slots.active).toBe(1);
  });

  it('drops a waiting upload whose signal fires, with the signal reason', async () => {
    const slots = new UploadSlots(1);
    const release = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(slots.queued).toBe(0);
    release();
    await expect(slots.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(slots.active).toBe(0);
  });
});
