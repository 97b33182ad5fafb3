import { Step, Task } from '../definition';
import type { TaskRecord } from '../model';
import type { TaskChange, TaskStore } from '../ports';
import { createEngineFixture, deferred, type Deferred } from './testing/engine-fixture';
import { ENGINE_STORES } from './testing/engine-stores';

@Task({ name: 'two-steps' })
class TwoStepTask {
  readonly gate = deferred();
  readonly log: string[] = [];
  @Step({ order: 1 })
  async first() {
    this.log.push('first');
    await this.gate.promise;
  }
  @Step({ order: 2 })
  second() {
    this.log.push('second');
  }
}

/** A store whose save of a `paused` task can be held mid-flight: the database round trip of the runner's pause. */
function holding(store: TaskStore) {
  const hold: { next?: { entered: Deferred; gate: Deferred } } = {};
  const save = store.save.bind(store);
  store.save = async (task: TaskRecord, workerId: string, change?: TaskChange) => {
    const held = hold.next;
    if (held && task.status === 'paused') {
      hold.next = undefined;
      held.entered.resolve();
      await held.gate.promise;
    }
    return save(task, workerId, change);
  };
  return hold;
}

/**
 * A resume that lands while the runner's pause write is in flight. Before,
 * the resume found the task still running (nothing to resume), cleared the
 * request, and the pause write then parked the task `paused` with no pause
 * requested, forever. Now the pause write is conditional on the request.
 */
describe.each(ENGINE_STORES)('resume racing the runner pause (%s)', (_name, open) => {
  it('the resume wins: the pause write is refused and the task runs to the end', async () => {
    const { store, close } = await open();
    try {
      const hold = holding(store);
      const two = new TwoStepTask();
      const f = createEngineFixture({ tasks: [two], store });
      await f.engine.start(['worker']);
      const { task } = await f.submit('two-steps');
      await f.flush();
      await f.engine.pause(task.id, 'alice'); // step 1 running: the request only
      const entered = deferred();
      const gate = deferred();
      hold.next = { entered, gate };
      two.gate.resolve(); // step 1 ends; the runner reads the request and writes `paused`
      await entered.promise; // ... and that write is in flight
      await f.engine.resume(task.id, 'alice');
      gate.resolve();
      for (let i = 0; i < 20; i++) await f.flush();
      const stored = await f.task(task.id);
      expect(stored).toMatchObject({ status: 'completed', pauseRequested: false });
      expect(two.log).toEqual(['first', 'second']);
      expect((await f.store.listEvents(task.id)).map((e) => e.type)).not.toContain('task.paused');
      await f.engine.stop();
    } finally {
      await close();
    }
  });

  it('a resume after the pause landed resumes it: paused, then pending and run', async () => {
    const { store, close } = await open();
    try {
      const two = new TwoStepTask();
      const f = createEngineFixture({ tasks: [two], store });
      await f.engine.start(['worker']);
      const { task } = await f.submit('two-steps');
      await f.flush();
      await f.engine.pause(task.id, 'alice');
      two.gate.resolve();
      for (let i = 0; i < 10; i++) await f.flush();
      expect(await f.task(task.id)).toMatchObject({ status: 'paused', pauseRequested: true });
      expect((await f.engine.resume(task.id, 'alice')).status).toBe('pending');
      for (let i = 0; i < 20; i++) await f.flush();
      expect(await f.task(task.id)).toMatchObject({ status: 'completed', pauseRequested: false });
      expect((await f.store.listEvents(task.id)).map((e) => e.type)).toEqual(
        expect.arrayContaining(['task.paused', 'task.resumed', 'task.completed']),
      );
      await f.engine.stop();
    } finally {
      await close();
    }
  });
});
