import { GroupCommit } from './group-commit';

/** A `run` that records its batches and answers each request with itself doubled, when released. */
function recorder(options: { fail?: (batch: number[]) => boolean } = {}) {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const run = async (batch: number[]) => {
    batches.push(batch);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (options.fail?.(batch)) throw new Error(`failed ${batch.join(',')}`);
    return batch.map((n) => n * 2);
  };
  /** Lets every batch started so far finish. */
  const release = async () => {
    for (const open of gates.splice(0)) open();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, run, release };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('runs a request made while idle at once, alone', async () => {
    const r = recorder();
    const group = new GroupCommit(r.run, { maxBatch: 10, maxInFlight: 1 });
    const answer = group.submit(1);
    expect(r.batches).toEqual([[1]]);
    await r.release();
    expect(await answer).toBe(2);
  });

  it('runs the requests of one turn behind a running batch as one batch, and answers each its own', async () => {
    const r = recorder();
    const group = new GroupCommit(r.run, { maxBatch: 10, maxInFlight: 2 });
    const answers = Promise.all([1, 2, 3, 4].map((n) => group.submit(n)));
    await turn();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.release();
    expect(await answers).toEqual([2, 4, 6, 8]);
  });

  it('collects what arrives while the batches in flight run into the next one', async () => {
    const r = recorder();
    const group = new GroupCommit(r.run, { maxBatch: 10, maxInFlight: 1 });
    const first = group.submit(1);
    const later = [2, 3, 4].map((n) => group.submit(n));
    await turn();
    expect(r.batches).toEqual([[1]]);
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.release();
    expect(await Promise.all([first, ...later])).toEqual([2, 4, 6, 8]);
  });

  it('splits at maxBatch and runs up to maxInFlight batches at once', async () => {
    const r = recorder();
    const group = new GroupCommit(r.run, { maxBatch: 2, maxInFlight: 2 });
    const answers = Promise.all([1, 2, 3, 4, 5, 6].map((n) => group.submit(n)));
    await turn();
    expect(r.batches).toEqual([[1], [2, 3]]);
    await r.release();
    expect(r.batches.slice(2)).toEqual([[4, 5], [6]]);
    await r.release();
    expect(await answers).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('never puts two requests with one key in a batch, and keeps their order', async () => {
    const r = recorder();
    const group = new GroupCommit(r.run, { maxBatch: 10, maxInFlight: 2, key: (n: number) => String(n % 10) });
    const answers = Promise.all([1, 11, 2, 21, 3].map((n) => group.submit(n)));
    await turn();
    // 11 and 21 share 1's key: they wait, even with a slot free, until 1's batch has settled.
    expect(r.batches).toEqual([[1], [2, 3]]);
    await r.release();
    expect(r.batches[2]).toEqual([11]);
    await r.release();
    expect(r.batches[3]).toEqual([21]);
    await r.release();
    expect(await answers).toEqual([2, 22, 4, 42, 6]);
  });

  it('tries each request of a failed batch alone: only the failing one is rejected', async () => {
    const r = recorder({ fail: (batch) => batch.includes(2) });
    const group = new GroupCommit(r.run, { maxBatch: 10, maxInFlight: 1 });
    const answers = [0, 1, 2, 3].map((n) =>
      group.submit(n).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await r.release();
    await r.release();
    await r.release();
    expect(r.batches).toEqual([[0], [1, 2, 3], [1], [2], [3]]);
    expect(await Promise.all(answers)).toEqual([0, 2, 'failed 2', 6]);
  });
});
