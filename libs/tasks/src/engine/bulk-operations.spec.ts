import { newTask } from '../adapters/testing/store-contract';
import { Step, Task } from '../definition';
import type { FinishedQuery, FinishedTask, TaskStore } from '../ports';
import { createEngineFixture, type EngineFixture } from './testing/engine-fixture';
import { ENGINE_STORES } from './testing/engine-stores';

@Task({ name: 'report' })
class ReportTask {
  @Step({ order: 1 })
  render() {
    return 'rendered';
  }
}

/** Many more tasks than a page (100): each page must start after the last, not re-read the ones before. */
const MANY = 450;

describe.each(ENGINE_STORES)('bulk retry and cleanup (%s)', (_name, open) => {
  let close: () => Promise<void>;
  let f: EngineFixture;
  /** Rows findFinished answered, all calls together. */
  let rowsRead = 0;

  beforeEach(async () => {
    const opened = await open();
    close = opened.close;
    const store = opened.store;
    const findFinished = store.findFinished.bind(store);
    store.findFinished = async (query: FinishedQuery): Promise<FinishedTask[]> => {
      const page = await findFinished(query);
      rowsRead += page.length;
      return page;
    };
    rowsRead = 0;
    f = createEngineFixture({ tasks: [new ReportTask()], store });
  });

  afterEach(async () => {
    await f.engine.stop();
    await close();
  });

  /** `count` finished reports of alice's, one a millisecond (some sharing one, to tie on finishedAt). */
  async function finished(store: TaskStore, status: 'failed' | 'completed', count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const task = newTask({
        type: 'report',
        queue: 'default',
        placement: 'worker',
        status,
        finishedAt: 1_000 + Math.floor(i / 3),
      });
      task.steps = [{ ...task.steps[0], name: 'render', status: status === 'failed' ? 'failed' : 'completed' }];
      ids.push((await store.create(task)).task.id);
    }
    return ids;
  }

  it('retries every failed task once, reading each once', async () => {
    const ids = await finished(f.store, 'failed', MANY);
    await finished(f.store, 'completed', 5);
    expect(await f.engine.retryFailed({ owner: 'alice', type: 'report' })).toBe(MANY);
    for (const id of ids) expect((await f.task(id)).status).toBe('pending');
    // Before the keyset pages, each page re-read every task retried before it: 2,000 rows and more here.
    expect(rowsRead).toBeLessThanOrEqual(MANY + 100);
    // Nothing failed is left to retry.
    expect(await f.engine.retryFailed({ owner: 'alice', type: 'report' })).toBe(0);
  });

  it('deletes every finished task that matches, reading each once, and no other', async () => {
    await finished(f.store, 'completed', MANY);
    const failed = await finished(f.store, 'failed', 3);
    expect(await f.engine.purgeFinished({ owner: 'alice', statuses: ['completed'] })).toBe(MANY);
    expect(rowsRead).toBeLessThanOrEqual(MANY + 100);
    expect((await f.engine.stats('alice')).byStatus).toEqual({ failed: 3 });
    for (const id of failed) expect((await f.task(id)).status).toBe('failed');
  });

  it('passes over the tasks the caller may not act on, and still reaches the rest', async () => {
    const ids = await finished(f.store, 'completed', 250);
    const kept = new Set(ids.filter((_id, i) => i % 2 === 0));
    const deleted = await f.engine.purgeFinished({ owner: 'alice' }, (task) => !kept.has(task.id));
    expect(deleted).toBe(ids.length - kept.size);
    expect(rowsRead).toBeLessThanOrEqual(250 + 100);
    expect((await f.engine.stats('alice')).total).toBe(kept.size);
  });
});
