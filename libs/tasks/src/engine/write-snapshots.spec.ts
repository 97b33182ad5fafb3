import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { ManualClock, MemoryTaskStore } from '../adapters/memory';
import { createStepwiseDataSource, TypeOrmTaskStore } from '../adapters/typeorm';
import { Step, Task, type StepContext } from '../definition';
import type { TaskStore } from '../ports';
import { createEngineFixture } from './testing/engine-fixture';

@Task({ name: 'progress-then-fail' })
class ProgressThenFail {
  attempts: number[] = [];
  @Step({ order: 1, retry: { attempts: 2, backoff: 'fixed', delayMs: 1000, jitter: false } })
  work(ctx: StepContext) {
    this.attempts.push(ctx.attempt);
    ctx.progress(0.5);
    if (ctx.attempt === 1) throw new Error('upstream 503');
    return 'ok';
  }
}

const stores: Array<[string, () => Promise<{ store: TaskStore; close: () => Promise<void> }>]> = [
  ['memory', async () => ({ store: new MemoryTaskStore(), close: async () => undefined })],
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stepwise-snapshots-'));
      const ds: DataSource = await createStepwiseDataSource({ sqlitePath: join(dir, 'db.sqlite') }).initialize();
      return {
        store: new TypeOrmTaskStore(ds),
        close: async () => {
          await ds.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

/**
 * A write carries the state of the moment it was asked for. A progress report
 * still queued when the step fails must not write the retry's state (lease
 * released) ahead of the retry's own write, which then found the lease gone,
 * skipped the retry's dispatch and left the log disagreeing with the row.
 */
describe.each(stores)('writes are snapshots (%s)', (_name, open) => {
  it('a progress write in flight when the step fails: the retry is recorded, dispatched and runs', async () => {
    const { store, close } = await open();
    try {
      const task = new ProgressThenFail();
      const clock = new ManualClock();
      const f = createEngineFixture({ tasks: [task], store, clock });
      await f.engine.start(['worker']);
      const { task: submitted } = await f.submit('progress-then-fail');
      for (let i = 0; i < 20; i++) await f.flush();
      const events = (await f.store.listEvents(submitted.id)).map((e) => `${e.type}/${e.status}`);
      expect(events).toContain('task.retrying/pending');
      const waiting = await f.task(submitted.id);
      expect(waiting).toMatchObject({ status: 'pending', leaseOwner: null });
      expect(f.logger.messages('warn').filter((w) => w.includes('lease lost'))).toEqual([]);

      await clock.advance(1_000); // the retry's delay, through the queue's own timer
      for (let i = 0; i < 20; i++) await f.flush();
      expect(task.attempts).toEqual([1, 2]);
      const done = await f.task(submitted.id);
      expect(done.status).toBe('completed');
      expect(done.steps[0]).toMatchObject({ status: 'completed', attempts: 2, progress: 1 });
      await f.engine.stop();
    } finally {
      await close();
    }
  });
});
