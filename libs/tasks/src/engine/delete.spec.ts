import { Readable } from 'node:stream';
import { Compensate, Step, Task, type StepContext } from '../definition';
import { createEngineFixture, deferred, type EngineFixture } from './testing/engine-fixture';
import { ENGINE_STORES } from './testing/engine-stores';

@Task({ name: 'saga' })
class SagaTask {
  readonly log: string[] = [];

  @Step({ order: 1 })
  async a(ctx: StepContext) {
    this.log.push('run a');
    await ctx.storage.put(`${ctx.storagePrefix}a.txt`, Readable.from(['a']));
    return 'A';
  }

  @Step({ order: 2 })
  async b(ctx: StepContext) {
    this.log.push('run b');
    await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  }

  @Compensate('a')
  undoA() {
    this.log.push('undo a');
  }
}

@Task({ name: 'committed', cancellable: false })
class CommittedTask {
  readonly gate = deferred();

  @Step({ order: 1 })
  async only() {
    await this.gate.promise;
    return 'done';
  }
}

/** Flushes (and lets SQLite's I/O land) until `done` holds. */
async function until(f: EngineFixture, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await done()); i++) {
    await f.flush();
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe.each(ENGINE_STORES)('DELETE of a task (%s)', (_name, open) => {
  let close: () => Promise<void>;
  let f: EngineFixture;
  let saga: SagaTask;
  let committed: CommittedTask;

  beforeEach(async () => {
    const opened = await open();
    close = opened.close;
    saga = new SagaTask();
    committed = new CommittedTask();
    f = createEngineFixture({ tasks: [saga, committed], store: opened.store });
  });

  afterEach(async () => {
    await f.engine.stop();
    await close();
  });

  const gone = (id: string) => async () => (await f.store.get(id)) === null;

  it('of a running saga cancels it, compensates its finished steps, then deletes it with its events and files', async () => {
    await f.engine.start(['worker']);
    const { task } = await f.submit('saga');
    await until(f, async () => (await f.task(task.id)).steps[1].status === 'running');
    expect(saga.log).toEqual(['run a', 'run b']);

    const answer = await f.engine.remove(task.id, 'alice');
    expect(answer).toMatchObject({ id: task.id, cancelRequested: true, deleteRequested: true });
    await until(f, gone(task.id));

    expect(saga.log).toEqual(['run a', 'run b', 'undo a']);
    expect(await f.store.get(task.id)).toBeNull();
    expect(await f.store.listEvents(task.id)).toEqual([]);
    expect([...(f.storage as unknown as { objects: Map<string, unknown> }).objects.keys()]).toEqual([]);
  });

  it('of a pending or paused task cancels it and deletes it, with no step run', async () => {
    // No worker: the task stays pending until the delete's cancel claims it.
    const { task: pending } = await f.submit('saga');
    const { task: paused } = await f.submit('saga');
    await f.engine.pause(paused.id, 'alice');
    expect((await f.task(paused.id)).status).toBe('paused');
    for (const task of [pending, paused]) {
      expect(await f.engine.remove(task.id, 'alice')).toMatchObject({ cancelRequested: true });
      await until(f, gone(task.id));
      expect(await f.store.get(task.id)).toBeNull();
    }
    expect(saga.log).toEqual([]);
  });

  it('of a task that cannot be cancelled lets it finish, then deletes it', async () => {
    await f.engine.start(['worker']);
    const { task } = await f.submit('committed');
    await until(f, async () => (await f.task(task.id)).status === 'running');
    expect(await f.engine.remove(task.id, 'alice')).toMatchObject({ cancelRequested: false, deleteRequested: true });
    committed.gate.resolve();
    // Its run may end before it reads the request: the sweeper then carries the delete out.
    await until(f, async () => (await f.task(task.id)).status === 'completed' || (await gone(task.id)()));
    await f.clock.advance(f.settings.sweepIntervalMs);
    await until(f, gone(task.id));
    expect(await f.store.get(task.id)).toBeNull();
  });

  it('of a finished task deletes it at once', async () => {
    await f.engine.start(['worker']);
    const { task } = await f.submit('committed');
    await until(f, async () => (await f.task(task.id)).status === 'running');
    committed.gate.resolve();
    await until(f, async () => (await f.task(task.id)).status === 'completed');
    expect(await f.engine.remove(task.id, 'alice')).toBeNull();
    expect(await f.store.get(task.id)).toBeNull();
  });
});
