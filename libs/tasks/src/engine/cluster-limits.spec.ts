import { MemoryTaskStore } from '../adapters/memory';
import { Step, Task, type StepContext } from '../definition';
import type { TaskRecord } from '../model';
import { toTaskView } from '../web/task-view.mapper';
import { createEngineFixture, deferred, type Deferred, type EngineFixture } from './testing/engine-fixture';
import { ENGINE_STORES } from './testing/engine-stores';

/** Steps that wait for the test to let each task go, recording who started when. */
abstract class GatedTask {
  readonly gates = new Map<string, Deferred>();
  readonly starts: Array<{ id: string; at: number }> = [];
  constructor(protected readonly now: () => number) {}
  gate(id: string): Deferred {
    let gate = this.gates.get(id);
    if (!gate) this.gates.set(id, (gate = deferred()));
    return gate;
  }
  protected async work(ctx: StepContext): Promise<void> {
    this.starts.push({ id: ctx.taskId, at: this.now() });
    await this.gate(ctx.taskId).promise;
  }
}

@Task({ name: 'one-at-a-time', concurrency: { max: 1 } })
class OneAtATime extends GatedTask {
  @Step({ order: 1 })
  run(ctx: StepContext) {
    return this.work(ctx);
  }
}

@Task({ name: 'per-owner', concurrency: { perOwner: 1 } })
class PerOwner extends GatedTask {
  @Step({ order: 1 })
  run(ctx: StepContext) {
    return this.work(ctx);
  }
}

@Task({ name: 'plain-gated' })
class PlainGated extends GatedTask {
  @Step({ order: 1 })
  run(ctx: StepContext) {
    return this.work(ctx);
  }
}

@Task({ name: 'rated', rateLimit: { max: 2, perMs: 1_000 } })
class Rated extends GatedTask {
  @Step({ order: 1 })
  run(ctx: StepContext) {
    this.starts.push({ id: ctx.taskId, at: this.now() });
  }
}

describe.each(ENGINE_STORES)('cluster-wide limits of a task type (%s)', (_name, open) => {
  let f: EngineFixture;
  let close: () => Promise<void>;
  const tasks = () => {
    const now = () => f.clock.now();
    return {
      one: new OneAtATime(now),
      perOwner: new PerOwner(now),
      plain: new PlainGated(now),
      rated: new Rated(now),
    };
  };
  let t: ReturnType<typeof tasks>;

  async function begin(settings: { maxRunningPerOwner?: number } = {}): Promise<void> {
    const opened = await open();
    close = opened.close;
    t = tasks();
    f = createEngineFixture({ tasks: Object.values(t), store: opened.store, settings });
    await f.engine.start(['api', 'worker']);
  }
  afterEach(async () => {
    for (const task of Object.values(t)) for (const gate of task.gates.values()) gate.resolve();
    await f.engine.stop();
    await close();
  });

  const settleAll = async (rounds = 30) => {
    for (let i = 0; i < rounds; i++) await f.flush();
  };
  const running = (list: TaskRecord[]) => list.filter((task) => task.status === 'running' && task.leaseOwner);

  it('runs one task of a `max: 1` type at a time; the others wait pending, held back, and the next starts when one ends', async () => {
    await begin();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await f.submit('one-at-a-time')).task.id);
    await settleAll();
    let all = await Promise.all(ids.map((id) => f.task(id)));
    expect(running(all).map((task) => task.id)).toEqual([ids[0]]);
    for (const held of all.slice(1)) {
      expect(held).toMatchObject({ status: 'pending', leaseOwner: null, heldBack: { reason: 'concurrency' } });
      expect(toTaskView(held, '/tasks').heldBack).toEqual({
        reason: 'concurrency',
        since: new Date(held.heldBack!.since).toISOString(),
      });
    }
    // The held tasks hold no worker slot: a plain task runs beside them (the worker runs 4 at once).
    const plain = (await f.submit('plain-gated')).task.id;
    await settleAll();
    expect((await f.task(plain)).status).toBe('running');

    // Ending the running one wakes the next at once, without a sweep or a clock tick.
    for (const [n, id] of ids.entries()) {
      t.one.gate(id).resolve();
      await settleAll();
      all = await Promise.all(ids.map((task) => f.task(task)));
      expect(all[n].status).toBe('completed');
      expect(running(all).map((task) => task.id)).toEqual(ids.slice(n + 1, n + 2));
      expect(toTaskView(all[n], '/tasks').heldBack).toBeUndefined();
    }
    expect(t.one.starts.map((s) => s.id)).toEqual(ids);
  });

  it("lets owner B run while owner A's backlog waits for A's own slot (perOwner)", async () => {
    await begin();
    const a = [(await f.submit('per-owner')).task.id, (await f.submit('per-owner')).task.id];
    const b = (await f.submit('per-owner', {}, { owner: 'bob' })).task.id;
    await settleAll();
    expect((await f.task(a[0])).status).toBe('running');
    expect(await f.task(a[1])).toMatchObject({ status: 'pending', heldBack: { reason: 'owner-concurrency' } });
    expect((await f.task(b)).status).toBe('running');
    // Bob's task ending frees no slot of Alice's.
    t.perOwner.gate(b).resolve();
    await settleAll();
    expect((await f.task(a[1])).status).toBe('pending');
    t.perOwner.gate(a[0]).resolve();
    await settleAll();
    expect((await f.task(a[1])).status).toBe('running');
  });

  it('applies the module-wide fairness.perOwner to a type that declares no limit', async () => {
    await begin({ maxRunningPerOwner: 1 });
    const first = (await f.submit('plain-gated')).task.id;
    const second = (await f.submit('plain-gated')).task.id;
    const bobs = (await f.submit('plain-gated', {}, { owner: 'bob' })).task.id;
    await settleAll();
    expect((await f.task(first)).status).toBe('running');
    expect((await f.task(second)).heldBack?.reason).toBe('owner-concurrency');
    expect((await f.task(bobs)).status).toBe('running');
  });

  it("caps an owner's running tasks of every type together (fairness.perOwner); one of them ending wakes another type's", async () => {
    await begin({ maxRunningPerOwner: 2 });
    const first = (await f.submit('plain-gated')).task.id;
    const second = (await f.submit('plain-gated')).task.id;
    // Another type, whose own limit (one per owner) it is within: held all the same, the owner runs two already.
    const third = (await f.submit('per-owner')).task.id;
    const bobs = (await f.submit('plain-gated', {}, { owner: 'bob' })).task.id;
    await settleAll();
    expect((await f.task(first)).status).toBe('running');
    expect((await f.task(second)).status).toBe('running');
    expect(await f.task(third)).toMatchObject({ status: 'pending', heldBack: { reason: 'owner-concurrency' } });
    expect((await f.task(bobs)).status).toBe('running');
    // The end of a plain-gated run wakes the per-owner task at once (the clock does not move: no sweep).
    t.plain.gate(first).resolve();
    await settleAll();
    expect((await f.task(first)).status).toBe('completed');
    expect((await f.task(third)).status).toBe('running');
    expect((await f.task(third)).heldBack).toBeUndefined();
  });

  it('starts at most `max` runs of a rate-limited type in any window of `perMs`', async () => {
    await begin();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await f.submit('rated')).task.id);
    await settleAll();
    expect(t.rated.starts).toHaveLength(2);
    const held = await f.task(ids[4]);
    expect(held).toMatchObject({ status: 'pending', heldBack: { reason: 'rate-limit' } });
    for (let i = 0; i < 6 && t.rated.starts.length < 5; i++) {
      await f.clock.advance(500);
      await settleAll();
    }
    expect(t.rated.starts).toHaveLength(5);
    for (const id of ids) expect((await f.task(id)).status).toBe('completed');
    const times = t.rated.starts.map((s) => s.at).sort((x, y) => x - y);
    for (const start of times)
      expect(times.filter((at) => at >= start && at < start + 1_000).length).toBeLessThanOrEqual(2);
  });
});

describe('cluster-wide limits on a store that cannot claim within them', () => {
  it('refuse to start, naming what the store lacks', async () => {
    const store = new MemoryTaskStore();
    Object.assign(store, { claimWithinLimits: undefined });
    const f = createEngineFixture({ tasks: [new OneAtATime(() => 0)], store });
    await expect(f.engine.start(['worker'])).rejects.toThrow(/claimWithinLimits/);
  });
});
