import { Compensate, Step, Task, type ChildOutcome, type StepContext } from '../definition';
import { NonRetryableError } from './step-errors';
import { createEngineFixture, deferred, type EngineFixture } from './testing/engine-fixture';

/** What the tasks did, across runs of their steps. */
const world = { spawns: 0, squares: [] as number[], undone: [] as string[], hold: deferred() };

@Task({ name: 'square' })
class SquareTask {
  @Step({ order: 1 })
  async square(ctx: StepContext<{ n: number; fail?: boolean; hold?: boolean }>) {
    if (ctx.input.hold) {
      const aborted = new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      await Promise.race([world.hold.promise, aborted]);
    }
    if (ctx.input.fail) throw new NonRetryableError(`no square for ${ctx.input.n}`);
    world.squares.push(ctx.input.n);
    return ctx.input.n * ctx.input.n;
  }

  @Compensate('square')
  unsquare(ctx: StepContext<{ n: number }>) {
    world.undone.push(`square ${ctx.input.n}`);
  }
}

@Task({ name: 'sum-of-squares' })
class SumOfSquaresTask {
  @Step({ order: 1 })
  prepare() {
    return 'ready';
  }

  @Compensate('prepare')
  unprepare() {
    world.undone.push('prepare');
  }

  // Spawns, then waits: when the last child wakes it, the step runs again and its spawns answer the same children.
  @Step({ order: 2 })
  async fanOut(ctx: StepContext<{ ns: number[]; failing?: number; hold?: boolean; tolerant?: boolean }>) {
    const children = [];
    for (const n of ctx.input.ns) {
      world.spawns++;
      children.push(await ctx.spawn<number>(SquareTask, { n, fail: n === ctx.input.failing, hold: ctx.input.hold }));
    }
    if (ctx.input.tolerant) {
      const outcomes: ChildOutcome[] = await ctx.waitFor(children, { allowFailures: true });
      return outcomes.map((o) => o.status);
    }
    const squares = await ctx.waitFor(children);
    return squares.reduce((a, b) => a + b, 0);
  }
}

@Task({ name: 'spawn-then-fail' })
class SpawnThenFailTask {
  // Starts two children it never waits for, then fails for good.
  @Step({ order: 1 })
  async start(ctx: StepContext) {
    for (const n of [6, 7]) await ctx.spawn(SquareTask, { n, hold: true });
    throw new NonRetryableError('the parent gives up');
  }
}

describe('child tasks', () => {
  let f: EngineFixture;

  beforeEach(async () => {
    Object.assign(world, { spawns: 0, squares: [], undone: [], hold: deferred() });
    f = createEngineFixture({ tasks: [new SquareTask(), new SumOfSquaresTask(), new SpawnThenFailTask()] });
    await f.engine.start(['worker']);
  });

  const childrenOf = async (id: string) => f.store.findChildren(id);

  it('fans out to 3 children and in again: the parent waits without a slot, the last child wakes it', async () => {
    const { task } = await f.submit('sum-of-squares', { ns: [1, 2, 3], hold: true });
    const waiting = await f.settle(task.id, 'waiting');
    expect(waiting).toMatchObject({ status: 'waiting', waitingFor: 'children', leaseOwner: null });
    const children = await childrenOf(task.id);
    expect(children.map((c) => [c.type, c.status])).toEqual([
      ['square', 'running'],
      ['square', 'running'],
      ['square', 'running'],
    ]);
    for (const child of children) expect(await f.task(child.id)).toMatchObject({ owner: 'alice', parentId: task.id });

    world.hold.resolve();
    const done = await f.settle(task.id, 'completed', 30);
    expect(done.output).toBe(1 + 4 + 9);
    // The step ran twice (spawning, then woken), and its spawns answered the same 3 children.
    expect(world.spawns).toBe(6);
    expect(await childrenOf(task.id)).toHaveLength(3);
    expect(world.squares.sort()).toEqual([1, 2, 3]);
    expect(done.steps[1].attempts).toBe(1);
  });

  it('fails the waiting step with ChildTaskFailedError when a child fails, and compensates the parent', async () => {
    const { task } = await f.submit('sum-of-squares', { ns: [1, 2], failing: 2 });
    const failed = await f.settle(task.id, 'failed', 30);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ name: 'ChildTaskFailedError', code: 'CHILD_TASK_FAILED', step: 'fanOut' });
    expect(world.undone).toContain('prepare');
    expect((await childrenOf(task.id)).map((c) => c.status)).toEqual(['completed', 'failed']);
  });

  it('answers every outcome with allowFailures', async () => {
    const { task } = await f.submit('sum-of-squares', { ns: [1, 2], failing: 1, tolerant: true });
    const done = await f.settle(task.id, 'completed', 30);
    expect(done).toMatchObject({ status: 'completed', error: null });
    expect(done.output).toEqual(['failed', 'completed']);
  });

  it('a parent that fails cancels its unfinished children', async () => {
    const { task } = await f.submit('spawn-then-fail');
    expect((await f.settle(task.id, 'failed', 30)).error).toMatchObject({ message: 'the parent gives up' });
    const children = await childrenOf(task.id);
    expect(children).toHaveLength(2);
    for (const child of children) {
      const ended = await f.settle(child.id, 'cancelled', 30);
      expect(ended).toMatchObject({ status: 'cancelled', cancelRequested: true });
    }
    expect(world.squares).toEqual([]);
    const events = await f.store.listEvents(children[0].id);
    expect(events.find((e) => e.type === 'task.cancel_requested')).toMatchObject({ actor: 'system' });
  });

  it('cancelling the parent cancels its unfinished children, which compensate', async () => {
    const { task } = await f.submit('sum-of-squares', { ns: [4, 5], hold: true });
    await f.settle(task.id, 'waiting');
    await f.engine.cancel(task.id, 'alice');
    const cancelled = await f.settle(task.id, 'cancelled', 30);
    expect(cancelled.status).toBe('cancelled');
    world.hold.resolve();
    for (const child of await childrenOf(task.id))
      expect((await f.settle(child.id, 'cancelled', 30)).status).toBe('cancelled');
    expect(world.undone).toContain('prepare');
  });
});
