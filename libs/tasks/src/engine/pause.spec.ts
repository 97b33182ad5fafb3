import { Step, Task, type StepContext } from '../definition';
import { TaskOperationError } from './operation-errors';
import { createEngineFixture, deferred, type EngineFixture } from './testing/engine-fixture';

@Task({ name: 'pausable' })
class PausableTask {
  readonly log: string[] = [];
  readonly gate = deferred();
  constructor(private readonly blockFirst = true) {}

  @Step({ order: 1 })
  async first(ctx: StepContext) {
    this.log.push(`first ${ctx.taskId}`);
    if (this.blockFirst && ctx.taskId === 'task-1') await this.gate.promise;
    return 1;
  }

  @Step({ order: 2 })
  second(ctx: StepContext) {
    this.log.push(`second ${ctx.taskId}`);
    return 2;
  }
}

describe('pause and resume', () => {
  let f: EngineFixture;
  let pausable: PausableTask;

  beforeEach(async () => {
    pausable = new PausableTask();
    f = createEngineFixture({ tasks: [pausable] });
    await f.engine.start(['worker']);
  });

  async function expectPausedAfterFirstStep(id: string): Promise<void> {
    const stored = await f.settle(id, 'paused');
    expect(stored.status).toBe('paused');
    expect(stored.leaseOwner).toBeNull();
    expect(stored.steps.map((s) => s.status)).toEqual(['completed', 'pending']);
    expect(pausable.log).toEqual([`first ${id}`]);
    expect((await f.store.listEvents(id)).map((e) => e.type)).toContain('task.paused');
  }

  async function expectResumeCompletes(id: string): Promise<void> {
    const resumed = await f.engine.resume(id, 'alice');
    expect(resumed.status).toBe('pending');
    const stored = await f.settle(id, 'completed');
    expect(stored.status).toBe('completed');
    expect(stored.output).toBe(2);
    expect(pausable.log).toEqual([`first ${id}`, `second ${id}`]);
    expect((await f.store.listEvents(id)).map((e) => e.type)).toContain('task.resumed');
  }

  it('pauses between steps when asked while a step runs, and resumes', async () => {
    const { task } = await f.submit('pausable');
    await f.flush();
    const answer = await f.engine.pause(task.id, 'alice');
    expect(answer.status).toBe('running'); // the running step is not interrupted

    // The step finishes well within a heartbeat period: the pause must still hold.
    pausable.gate.resolve();
    await expectPausedAfterFirstStep(task.id);
    await f.clock.advance(60_000);
    expect(pausable.log).toEqual([`first ${task.id}`]);
    await expectResumeCompletes(task.id);
  });

  it('pauses between steps once a heartbeat has seen the request, and resumes', async () => {
    const { task } = await f.submit('pausable');
    await f.flush();
    await f.engine.pause(task.id, 'alice');
    await f.clock.advance(f.settings.heartbeatMs);
    pausable.gate.resolve();
    await expectPausedAfterFirstStep(task.id);
    await expectResumeCompletes(task.id);
  });

  it('does not pause when resumed before the running step ends', async () => {
    const { task } = await f.submit('pausable');
    await f.flush();
    await f.engine.pause(task.id, 'alice');
    await f.clock.advance(f.settings.heartbeatMs); // the runner learns of the pause
    await f.engine.resume(task.id, 'alice'); // ... and the user changes their mind
    pausable.gate.resolve();
    const stored = await f.settle(task.id, 'completed');
    expect(stored.status).toBe('completed');
    expect(pausable.log).toEqual([`first ${task.id}`, `second ${task.id}`]);
  });

  it('pauses a waiting task at once; it does not run until resumed', async () => {
    const small = createEngineFixture({ tasks: [pausable], settings: { concurrency: 1 } });
    f = small;
    await small.engine.start(['worker']);
    const blocker = await small.submit('pausable'); // task-1 blocks on the gate
    await small.flush();
    const { task } = await small.submit('pausable');
    const paused = await small.engine.pause(task.id, 'alice');
    expect(paused.status).toBe('paused');

    pausable.gate.resolve();
    await small.settle(blocker.task.id, 'completed');
    await small.clock.advance(60_000);
    expect((await small.task(task.id)).status).toBe('paused');
    expect(pausable.log.filter((l) => l.endsWith(task.id))).toEqual([]);

    await small.engine.resume(task.id, 'alice');
    expect((await small.settle(task.id, 'completed')).status).toBe('completed');
  });

  it('refuses to pause or resume a terminal task', async () => {
    pausable.gate.resolve();
    const { task } = await f.submit('pausable');
    await f.settle(task.id, 'completed');
    for (const op of [f.engine.pause(task.id, 'alice'), f.engine.resume(task.id, 'alice')]) {
      const error = await op.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TaskOperationError);
      expect((error as TaskOperationError).kind).toBe('conflict');
    }
  });
});
