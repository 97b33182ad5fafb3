import { z } from 'zod';
import { ManualClock, MemoryObjectStorage } from '../adapters/memory';
import { Step, Task, type StepContext } from '../definition';
import type { TaskEvent } from '../model';
import { NonRetryableError } from './step-errors';
import { TaskOperationError } from './operation-errors';
import { MAX_SINGLETON_KEY_LENGTH, MAX_SUBMIT_MANY, type SubmitRequest } from './task-engine';
import { createEngineFixture, deferred, type Deferred, type EngineFixture } from './testing/engine-fixture';

type Handler = (ctx: StepContext) => unknown;

/** Three worker steps whose behaviour each test scripts. */
@Task({ name: 'pipeline' })
class PipelineTask {
  readonly calls: Array<{ step: string; taskId: string; attempt: number; outputs: Record<string, unknown> }> = [];
  constructor(private readonly script: Partial<Record<'a' | 'b' | 'c', Handler>> = {}) {}

  private call(step: 'a' | 'b' | 'c', ctx: StepContext, fallback: unknown) {
    this.calls.push({ step, taskId: ctx.taskId, attempt: ctx.attempt, outputs: { ...ctx.outputs } });
    const handler = this.script[step];
    return handler ? handler(ctx) : fallback;
  }

  @Step({ order: 1 })
  a(ctx: StepContext<{ n?: number }>) {
    return this.call('a', ctx, { n: ctx.input.n ?? 0 });
  }

  @Step({ order: 2 })
  b(ctx: StepContext) {
    return this.call('b', ctx, 'B');
  }

  @Step({ order: 3 })
  c(ctx: StepContext) {
    return this.call('c', ctx, 'C');
  }

  count(step: string) {
    return this.calls.filter((c) => c.step === step).length;
  }
}

class TransientError extends Error {}
class QuotaExceeded extends Error {}

@Task({ name: 'flaky' })
class FlakyTask {
  invocations = 0;
  constructor(
    private readonly failures: number | 'always',
    private readonly error: () => unknown = () => new TransientError('boom'),
  ) {}

  @Step({ order: 1 })
  prepare() {
    return 'ready';
  }

  @Step({ order: 2, retry: { attempts: 3, backoff: 'fixed', delayMs: 1000 } })
  flaky(ctx: StepContext) {
    this.invocations++;
    if (this.failures === 'always' || ctx.attempt <= this.failures) throw this.error();
    return `ok after ${ctx.attempt}`;
  }
}

@Task({ name: 'exp-flaky' })
class ExponentialFlakyTask {
  runs: number[] = [];
  constructor(private readonly now: () => number) {}

  @Step({ order: 1, retry: { attempts: 4, backoff: 'exponential', delayMs: 100 } })
  flaky() {
    this.runs.push(this.now());
    throw new Error('still broken');
  }
}

@Task({ name: 'strict' })
class StrictTask {
  invocations = 0;
  constructor(private readonly error: () => unknown) {}

  @Step({ order: 1, retry: { attempts: 5, delayMs: 10, nonRetryable: [QuotaExceeded, (e) => e === 'fatal'] } })
  once() {
    this.invocations++;
    throw this.error();
  }
}

@Task({
  name: 'validated',
  input: z.object({
    name: z.string().min(1),
    count: z.number().int().positive(),
    tags: z.array(z.string()).default([]),
    nested: z.object({ flag: z.boolean() }).optional(),
  }),
})
class ValidatedTask {
  inputs: unknown[] = [];
  @Step({ order: 1 })
  run(ctx: StepContext) {
    this.inputs.push(ctx.input);
    return ctx.input;
  }
}

@Task({ name: 'other-type' })
class OtherTypeTask {
  @Step({ order: 1 })
  run() {
    return 'other';
  }
}

@Task({ name: 'handover' })
class HandoverTask {
  readonly placements: string[] = [];
  @Step({ order: 1, on: 'api' })
  accept(ctx: StepContext) {
    this.placements.push('accept');
    return { accepted: ctx.taskId };
  }

  @Step({ order: 2, on: 'worker' })
  process(ctx: StepContext) {
    this.placements.push('process');
    return { processed: (ctx.outputs.accept as { accepted: string }).accepted };
  }
}

@Task({ name: 'blocking' })
class BlockingTask {
  readonly order: string[] = [];
  readonly gates = new Map<string, Deferred>();

  @Step({ order: 1 })
  async run(ctx: StepContext<{ label: string; block?: boolean }>) {
    this.order.push(ctx.input.label);
    if (ctx.input.block) {
      const gate = deferred();
      this.gates.set(ctx.input.label, gate);
      await gate.promise;
    }
    return ctx.input.label;
  }
}

@Task({ name: 'reporting' })
class ReportingTask {
  readonly gate = deferred();
  @Step({ order: 1 })
  async first(ctx: StepContext) {
    ctx.progress(0.1, 'starting');
    ctx.progress(0.3);
    ctx.progress(0.2); // never backwards
    ctx.progress(0.5, 'half');
    await this.gate.promise;
    return null;
  }
  @Step({ order: 2 })
  second() {
    return 'done';
  }
}

function typesOf(events: TaskEvent[]): string[] {
  return events.map((e) => (e.type === 'task.step' ? `${e.type}:${e.step}:${e.stepStatus}` : e.type));
}

async function expectOperationError(
  promise: Promise<unknown>,
  kind: TaskOperationError['kind'],
): Promise<TaskOperationError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a TaskOperationError of kind ${kind}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskOperationError);
  expect((error as TaskOperationError).kind).toBe(kind);
  return error as TaskOperationError;
}

describe('TaskEngine: running steps', () => {
  let f: EngineFixture;

  it('runs steps in order, passes earlier outputs, records the events in order', async () => {
    const pipeline = new PipelineTask({
      b: (ctx) => {
        ctx.progress(0.5, 'halfway through b');
        return { fromA: (ctx.outputs.a as { n: number }).n * 2 };
      },
      c: (ctx) => ({ sum: (ctx.outputs.b as { fromA: number }).fromA + 1, seen: Object.keys(ctx.outputs) }),
    });
    f = createEngineFixture({ tasks: [pipeline] });
    await f.engine.start(['worker']);

    const { task: submitted, created } = await f.submit('pipeline', { n: 21 });
    expect(created).toBe(true);
    expect(submitted).toMatchObject({ id: 'task-1', type: 'pipeline', status: 'pending', owner: 'alice' });

    const task = await f.settle(submitted.id, 'completed');
    expect(task.status).toBe('completed');
    expect(task.progress).toBe(1);
    expect(task.output).toEqual({ sum: 43, seen: ['a', 'b'] });
    expect(task.error).toBeNull();
    expect(task.finishedAt).not.toBeNull();
    expect(task.leaseOwner).toBeNull();
    expect(task.steps.map((s) => [s.name, s.status, s.attempts, s.progress])).toEqual([
      ['a', 'completed', 1, 1],
      ['b', 'completed', 1, 1],
      ['c', 'completed', 1, 1],
    ]);
    expect(task.steps[1].output).toEqual({ fromA: 42 });

    expect(pipeline.calls.map((c) => c.step)).toEqual(['a', 'b', 'c']);
    expect(pipeline.calls[0].outputs).toEqual({});
    expect(pipeline.calls[1].outputs).toEqual({ a: { n: 21 } });
    expect(pipeline.calls[2].outputs).toEqual({ a: { n: 21 }, b: { fromA: 42 } });

    const events = await f.engine.listEvents(task.id, 'alice');
    expect(typesOf(events.filter((e) => e.type !== 'task.progress'))).toEqual([
      'task.created',
      'task.step:a:running',
      'task.step:a:completed',
      'task.step:b:running',
      'task.step:b:completed',
      'task.step:c:running',
      'task.step:c:completed',
      'task.completed',
    ]);
    const seqs = events.map((e) => e.seq!);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].progress).toBeGreaterThanOrEqual(events[i - 1].progress);
    }
    expect(events[events.length - 1]).toMatchObject({ type: 'task.completed', status: 'completed', progress: 1 });
    // The progress reported inside b went out as an event, between b's running and completed.
    const progress = events.find((e) => e.type === 'task.progress');
    expect(progress).toMatchObject({ step: 'b', message: 'halfway through b' });
    // At least (1 + 0.5) / 3; the write carries the latest value when it lands.
    expect(progress!.progress).toBeGreaterThanOrEqual(0.5);
    expect(progress!.progress).toBeLessThanOrEqual(2 / 3);
    expect(typesOf(events).indexOf('task.progress')).toBe(typesOf(events).indexOf('task.step:b:running') + 1);
    expect(events.every((e) => e.owner === 'alice' && e.taskType === 'pipeline')).toBe(true);

    await f.engine.stop();
  });

  it('throttles progress writes, keeps the latest value, never goes backwards', async () => {
    const reporting = new ReportingTask();
    f = createEngineFixture({ tasks: [reporting], settings: { progressThrottleMs: 200 } });
    await f.engine.start(['worker']);
    const { task } = await f.submit('reporting');
    await f.flush();

    let events = (await f.store.listEvents(task.id)).filter((e) => e.type === 'task.progress');
    expect(events).toHaveLength(1); // the first report goes out at once (with the latest value when written)
    expect(events[0].progress).toBeGreaterThanOrEqual(0.05);
    expect(events[0].progress).toBeLessThanOrEqual(0.25);

    await f.clock.advance(200);
    events = (await f.store.listEvents(task.id)).filter((e) => e.type === 'task.progress');
    expect(events).toHaveLength(2); // one write for the three throttled reports
    expect(events[1]).toMatchObject({ message: 'half' });
    expect(events[1].progress).toBeCloseTo(0.25, 5);
    const stored = await f.task(task.id);
    expect(stored.steps[0].progress).toBe(0.5);
    expect(stored.message).toBe('half');

    reporting.gate.resolve();
    expect((await f.settle(task.id, 'completed')).status).toBe('completed');
  });

  it('retries a failing step through the queue with backoff, without holding a worker slot', async () => {
    const flaky = new FlakyTask(2);
    f = createEngineFixture({ tasks: [flaky] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('flaky');
    await f.flush();
    const t0 = f.clock.now();

    let stored = await f.task(task.id);
    expect(flaky.invocations).toBe(1);
    expect(stored.status).toBe('pending');
    expect(stored.runAt).toBe(t0 + 1000); // fixed 1000 ms, random() = 1 keeps all of it
    expect(stored.leaseOwner).toBeNull();
    expect(stored.steps[1]).toMatchObject({ name: 'flaky', status: 'pending', attempts: 1 });
    expect(stored.steps[1].error).toMatchObject({ message: 'boom', step: 'flaky' });
    expect(f.engine.worker.running()).toEqual([]);

    await f.clock.advance(999);
    expect(flaky.invocations).toBe(1);
    expect((await f.task(task.id)).status).toBe('pending');
    expect(f.engine.worker.running()).toEqual([]);

    await f.clock.advance(1);
    expect(flaky.invocations).toBe(2);
    stored = await f.task(task.id);
    expect(stored.status).toBe('pending');
    expect(stored.runAt).toBe(t0 + 2000);
    expect(stored.steps[1].attempts).toBe(2);

    await f.clock.advance(1000);
    stored = await f.settle(task.id, 'completed');
    expect(stored.status).toBe('completed');
    expect(stored.output).toBe('ok after 3');
    expect(stored.steps[1]).toMatchObject({ status: 'completed', attempts: 3, error: null });
    expect(stored.steps[0].attempts).toBe(1); // the finished step was not re-run
    expect(flaky.invocations).toBe(3);

    const events = await f.store.listEvents(task.id);
    expect(events.filter((e) => e.type === 'task.retrying')).toHaveLength(2);
    expect(typesOf(events).filter((t) => t === 'task.step:flaky:running')).toHaveLength(3);
  });

  it('a completed task does not keep the message of an earlier retry', async () => {
    const flaky = new FlakyTask(1);
    f = createEngineFixture({ tasks: [flaky] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('flaky');
    await f.flush();
    expect((await f.task(task.id)).message).toMatch(/retrying flaky/);
    await f.clock.advance(1000);
    const stored = await f.settle(task.id, 'completed');
    expect(stored.status).toBe('completed');
    expect(stored.message ?? '').not.toMatch(/retrying/);
  });

  it('fails the task after exactly N attempts of a step that always fails, naming the step', async () => {
    const flaky = new FlakyTask('always');
    f = createEngineFixture({ tasks: [flaky] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('flaky');
    await f.flush();
    await f.clock.advance(1000);
    await f.clock.advance(1000);
    const stored = await f.settle(task.id, 'failed');

    expect(stored.status).toBe('failed');
    expect(flaky.invocations).toBe(3);
    expect(stored.error).toMatchObject({ step: 'flaky', message: 'boom', name: 'Error' });
    expect(stored.steps[1]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(stored.steps[1].error).toMatchObject({ step: 'flaky', message: 'boom' });
    expect(stored.finishedAt).toBe(f.clock.now());
    expect((await f.store.listEvents(task.id)).map((e) => e.type).pop()).toBe('task.failed');

    await f.clock.advance(60_000);
    expect(flaky.invocations).toBe(3);
  });

  it('exponential backoff doubles the wait between attempts', async () => {
    const clock = new ManualClock();
    const task = new ExponentialFlakyTask(() => clock.now());
    f = createEngineFixture({ tasks: [task], clock });
    await f.engine.start(['worker']);
    const { task: submitted } = await f.submit('exp-flaky');
    await f.flush();
    for (let i = 0; i < 10; i++) await f.clock.advance(100);
    const stored = await f.settle(submitted.id, 'failed');
    expect(stored.status).toBe('failed');
    const t0 = task.runs[0];
    expect(task.runs.map((t) => t - t0)).toEqual([0, 100, 300, 700]);
  });

  it('does not retry a NonRetryableError, despite attempts 5', async () => {
    const strict = new StrictTask(() => new NonRetryableError('card declined'));
    f = createEngineFixture({ tasks: [strict] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('strict');
    const stored = await f.settle(task.id, 'failed');
    expect(stored.status).toBe('failed');
    expect(strict.invocations).toBe(1);
    expect(stored.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(stored.error).toMatchObject({ name: 'NonRetryableError', message: 'card declined', step: 'once' });
    await f.clock.advance(10_000);
    expect(strict.invocations).toBe(1);
  });

  it.each([
    ['a nonRetryable class', () => new QuotaExceeded('quota')],
    ['a nonRetryable predicate', () => 'fatal'],
  ])('does not retry an error matched by %s', async (_label, error) => {
    const strict = new StrictTask(error);
    f = createEngineFixture({ tasks: [strict] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('strict');
    expect((await f.settle(task.id, 'failed')).status).toBe('failed');
    expect(strict.invocations).toBe(1);
  });
});

describe('TaskEngine: submit', () => {
  it('returns the same task for the same owner and Idempotency-Key, without a second dispatch or run', async () => {
    const pipeline = new PipelineTask();
    const f = createEngineFixture({ tasks: [pipeline, new OtherTypeTask()] });
    const dispatch = jest.spyOn(f.queue, 'dispatch');
    await f.engine.start(['worker']);

    const first = await f.submit('pipeline', { n: 1, tag: { a: 1, b: 2 } }, { idempotencyKey: 'key-1' });
    // The same request, its keys in another order: a replay.
    const second = await f.submit('pipeline', { tag: { b: 2, a: 1 }, n: 1 }, { idempotencyKey: 'key-1' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.task.id).toBe(first.task.id);
    expect(second.task.input).toEqual({ n: 1, tag: { a: 1, b: 2 } });
    await f.settle(first.task.id, 'completed');
    const third = await f.submit('pipeline', { n: 1, tag: { a: 1, b: 2 } }, { idempotencyKey: 'key-1' });
    expect(third).toMatchObject({ created: false, task: { id: first.task.id, status: 'completed' } });

    // The key with another input is refused, and creates nothing (IETF idempotency-key draft: 422).
    const reused = await expectOperationError(
      f.submit('pipeline', { n: 2, tag: { a: 1, b: 2 } }, { idempotencyKey: 'key-1' }),
      'idempotency_key_reused',
    );
    expect(reused.message).toContain('key-1');

    expect(dispatch).toHaveBeenCalledTimes(1);
    expect(pipeline.count('a')).toBe(1);
    expect((await f.store.listEvents(first.task.id)).filter((e) => e.type === 'task.created')).toHaveLength(1);

    // Keys are scoped by owner.
    const bobs = await f.submit('pipeline', { n: 4 }, { idempotencyKey: 'key-1', owner: 'bob' });
    expect(bobs.created).toBe(true);
    expect(bobs.task.id).not.toBe(first.task.id);

    // The same key for another type is a conflict, and creates nothing.
    const error = await expectOperationError(f.submit('other-type', {}, { idempotencyKey: 'key-1' }), 'conflict');
    expect(error.message).toContain('key-1');
    expect((await f.engine.list({ owner: 'alice' })).total).toBe(1);
  });

  it('creates exactly `maxActive` tasks of an owner whose submits race, refusing the others (quota_exceeded)', async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    // Not started: the tasks stay pending, active.
    const submits = Array.from({ length: 6 }, (_, n) =>
      f.engine.submit({ type: 'pipeline', input: { n }, owner: 'alice', maxActive: 2 }).then(
        (result) => result,
        (error: unknown) => error,
      ),
    );
    const outcomes = await Promise.all(submits);
    expect(outcomes.filter((o) => !(o instanceof TaskOperationError))).toHaveLength(2);
    const refused = outcomes.filter((o): o is TaskOperationError => o instanceof TaskOperationError);
    expect(refused).toHaveLength(4);
    for (const error of refused) {
      expect(error).toMatchObject({ kind: 'quota_exceeded', details: { quota: 'activeTasks', limit: 2, used: 2 } });
    }
    expect(await f.store.countActive!('alice')).toBe(2);
    // Another owner has quota of its own.
    await f.engine.submit({ type: 'pipeline', input: {}, owner: 'bob', maxActive: 2 });
  });

  it('replays a key recorded without a fingerprint (a task from before they were kept) whatever the input', async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    // Without a key no fingerprint is kept: a copy under a key is such a task, as the migration left them.
    const { task } = await f.submit('pipeline', { n: 1 });
    expect(task.requestFingerprint).toBeNull();
    await f.store.create({ ...task, id: 'legacy-1', idempotencyKey: 'old-key' });
    const again = await f.submit('pipeline', { n: 2 }, { idempotencyKey: 'old-key' });
    expect(again).toMatchObject({ created: false, task: { id: 'legacy-1', input: { n: 1 } } });
  });

  it('answers a submit whose singleton key an unfinished task holds with that task, or a conflict', async () => {
    const pipeline = new PipelineTask();
    const f = createEngineFixture({ tasks: [pipeline, new OtherTypeTask()] });
    const dispatch = jest.spyOn(f.queue, 'dispatch');
    const submit = (extra: Partial<SubmitRequest> = {}, input: unknown = { n: 1 }) =>
      f.engine.submit({ type: 'pipeline', input, owner: 'alice', singletonKey: 'nightly', ...extra });

    const first = await submit();
    expect(first).toMatchObject({ created: true, task: { singletonKey: 'nightly', status: 'pending' } });
    expect(first.existing).toBeUndefined();
    // Another input with the key: the holder, as it is; nothing written, nothing dispatched.
    const second = await submit({}, { n: 2 });
    expect(second).toEqual({ task: await f.task(first.task.id), created: false, existing: 'singleton' });
    expect(dispatch).toHaveBeenCalledTimes(1);
    // By option, a conflict naming the holder.
    const refused = await expectOperationError(submit({ singleton: 'conflict' }), 'conflict');
    expect(refused.message).toContain('nightly');
    expect(refused.details).toEqual({ taskId: first.task.id, status: 'pending' });
    // Another owner's holder is never shown: a conflict without its id.
    const bobs = await expectOperationError(submit({ owner: 'bob' }), 'conflict');
    expect(bobs.message).not.toContain(first.task.id);
    expect(bobs.details).toBeUndefined();
    // Even when the holder's idempotency key is the one Bob sends (keys are per owner).
    const keyed = await submit({ singletonKey: 'keyed', idempotencyKey: 'idem-1' });
    expect(keyed.created).toBe(true);
    const bobKeyed = await expectOperationError(
      submit({ singletonKey: 'keyed', idempotencyKey: 'idem-1', owner: 'bob' }),
      'conflict',
    );
    expect(bobKeyed.message).not.toContain(keyed.task.id);
    // Another type's key is another key.
    expect(
      (await f.engine.submit({ type: 'other-type', input: {}, owner: 'alice', singletonKey: 'nightly' })).created,
    ).toBe(true);
    expect((await f.engine.list({ owner: 'alice', type: 'pipeline' })).total).toBe(2);

    // Once the holder has ended, the key is free again.
    await f.engine.start(['worker']);
    await f.settle(first.task.id, 'completed');
    const next = await submit({ singleton: 'conflict' });
    expect(next.created).toBe(true);
    expect(next.task.id).not.toBe(first.task.id);
    expect(pipeline.count('a')).toBeGreaterThanOrEqual(1);
  });

  it('does not retry a failed task while another unfinished task holds its singleton key', async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    const { task } = await f.engine.submit({ type: 'pipeline', input: { n: 1 }, owner: 'alice', singletonKey: 'k' });
    // As if it had failed: a copy of its row, failed, and the holder of the key since then.
    await f.store.create({ ...task, id: 'failed-1', status: 'failed', finishedAt: task.createdAt + 1 });
    const error = await expectOperationError(f.engine.retry('failed-1', 'alice'), 'conflict');
    expect(error.message).toContain('singletonKey');
    expect((await f.task('failed-1')).status).toBe('failed');
  });

  it('refuses a singleton key that is empty, too long or not printable, naming the field', async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    for (const singletonKey of ['', 'x'.repeat(MAX_SINGLETON_KEY_LENGTH + 1), 'a\u0000b', 'line\nbreak']) {
      const error = await expectOperationError(
        f.engine.submit({ type: 'pipeline', input: { n: 1 }, owner: 'alice', singletonKey }),
        'invalid_input',
      );
      expect(error.details).toEqual([{ field: 'singletonKey', message: expect.stringContaining('printable') }]);
    }
    const policy = await expectOperationError(
      f.engine.submit({ type: 'pipeline', input: {}, owner: 'alice', singleton: 'newest' as never }),
      'invalid_input',
    );
    expect(policy.details).toEqual([{ field: 'singleton', message: expect.any(String) }]);
    const longest = 'é'.repeat(MAX_SINGLETON_KEY_LENGTH);
    expect(
      (await f.engine.submit({ type: 'pipeline', input: {}, owner: 'alice', singletonKey: longest })).created,
    ).toBe(true);
  });

  it('rejects input that fails the schema with invalid_input listing the fields, and creates nothing', async () => {
    const validated = new ValidatedTask();
    const f = createEngineFixture({ tasks: [validated] });
    await f.engine.start(['worker']);

    const error = await expectOperationError(
      f.submit('validated', { name: '', count: -2, nested: { flag: 'yes' } }),
      'invalid_input',
    );
    const details = error.details as Array<{ field: string; message: string }>;
    expect(details.map((d) => d.field).sort()).toEqual(['count', 'name', 'nested.flag']);
    for (const d of details) expect(d.message).toEqual(expect.any(String));
    expect(error.message).toContain('validated');
    expect(error.message).toContain('count');

    const missing = await expectOperationError(f.submit('validated', undefined), 'invalid_input');
    expect((missing.details as Array<{ field: string }>).map((d) => d.field).sort()).toEqual(['count', 'name']);

    expect((await f.engine.list({ owner: 'alice' })).total).toBe(0);
    expect(validated.inputs).toEqual([]);

    // Valid input is accepted as the schema outputs it (defaults applied).
    const { task } = await f.submit('validated', { name: 'x', count: 2 });
    expect(task.input).toEqual({ name: 'x', count: 2, tags: [] });
    await f.settle(task.id, 'completed');
    expect(validated.inputs).toEqual([{ name: 'x', count: 2, tags: [] }]);
  });

  it('rejects an unknown task type as not_found', async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    await expectOperationError(f.submit('nope'), 'not_found');
  });

  it("scopes tasks by owner: another owner's task is not found", async () => {
    const f = createEngineFixture({ tasks: [new PipelineTask()] });
    const { task } = await f.submit('pipeline');
    expect((await f.engine.get(task.id, 'alice')).id).toBe(task.id);
    await expectOperationError(f.engine.get(task.id, 'other'), 'not_found');
    await expectOperationError(f.engine.cancel(task.id, 'other'), 'not_found');
    await expectOperationError(f.engine.pause(task.id, 'other'), 'not_found');
    await expectOperationError(f.engine.listEvents(task.id, 'other'), 'not_found');
    await expectOperationError(f.engine.remove(task.id, 'other'), 'not_found');
    expect((await f.engine.list({ owner: 'other' })).items).toEqual([]);
    expect((await f.store.get(task.id))?.cancelRequested).toBe(false);
  });
});

describe('TaskEngine: submitMany', () => {
  it('creates every task with its task.created in one write, dispatches them in one call, and they run', async () => {
    const validated = new ValidatedTask();
    const f = createEngineFixture({ tasks: [validated] });
    const createMany = jest.spyOn(f.store, 'createMany');
    const create = jest.spyOn(f.store, 'create');
    const dispatchMany = jest.spyOn(f.queue, 'dispatchMany');
    const events: TaskEvent[] = [];
    f.bus.subscribe((e) => events.push(e));
    await f.engine.start(['worker']);

    const inputs = [1, 2, 3].map((count) => ({ name: `n${count}`, count }));
    const tasks = await f.engine.submitMany('validated', inputs, { owner: 'bob', priority: 4 });
    expect(createMany).toHaveBeenCalledTimes(1);
    expect(create).not.toHaveBeenCalled();
    expect(dispatchMany).toHaveBeenCalledTimes(1);
    expect(tasks.map((t) => [t.owner, t.priority, t.status, t.input])).toEqual(
      inputs.map((input) => ['bob', 4, 'pending', { ...input, tags: [] }]),
    );
    for (const task of tasks) expect(await f.store.get(task.id)).toMatchObject({ id: task.id, owner: 'bob' });
    const created = events.filter((e) => e.type === 'task.created');
    expect(created.map((e) => [e.taskId, typeof e.seq])).toEqual(tasks.map((t) => [t.id, 'number']));
    for (const task of tasks) expect((await f.settle(task.id, 'completed')).status).toBe('completed');
    expect(validated.inputs).toHaveLength(3);
    expect(await f.engine.submitMany('validated', [], { owner: 'bob' })).toEqual([]);
  });

  it('creates none when an input is invalid, and names every invalid one by its index', async () => {
    const f = createEngineFixture({ tasks: [new ValidatedTask()] });
    const error = await expectOperationError(
      f.engine.submitMany('validated', [{ name: 'ok', count: 1 }, { name: '', count: 1 }, { count: 0 }], {
        owner: 'alice',
      }),
      'invalid_input',
    );
    const fields = (error.details as Array<{ field: string }>).map((d) => d.field).sort();
    expect(fields).toEqual(['[1].name', '[2].count', '[2].name']);
    expect((await f.engine.list({ owner: 'alice' })).total).toBe(0);
    await expectOperationError(f.engine.submitMany('nope', [{}], { owner: 'alice' }), 'not_found');
    const tooMany = Array.from({ length: MAX_SUBMIT_MANY + 1 }, () => ({ name: 'x', count: 1 }));
    await expectOperationError(f.engine.submitMany('validated', tooMany, { owner: 'alice' }), 'invalid_input');
    expect((await f.engine.list({ owner: 'alice' })).total).toBe(0);
  });
});

describe('TaskEngine: submitMany with singleton keys', () => {
  it('creates a task per key, and none when a key is repeated in the batch or already held', async () => {
    const f = createEngineFixture({ tasks: [new ValidatedTask()] });
    const inputs = [1, 2, 3].map((count) => ({ name: `n${count}`, count }));
    const submitMany = (singletonKeys: Array<string | null>) =>
      f.engine.submitMany('validated', inputs, { owner: 'alice', singletonKeys });

    const twice = await expectOperationError(submitMany(['a', null, 'a']), 'invalid_input');
    expect(twice.message).toContain('"a" is given twice in the batch (tasks 0 and 2)');
    expect(twice.details).toEqual([{ field: 'singletonKeys[2]', message: 'repeats singletonKeys[0]' }]);
    await expectOperationError(submitMany(['a', 'b', 'c', 'd']), 'invalid_input');
    expect((await f.engine.list({ owner: 'alice' })).total).toBe(0);

    const tasks = await submitMany(['a', null, 'b']);
    expect(tasks.map((t) => t.singletonKey)).toEqual(['a', null, 'b']);
    const held = await expectOperationError(submitMany(['c', 'b']), 'conflict');
    expect(held.message).toContain('singleton key');
    expect((await f.engine.list({ owner: 'alice' })).total).toBe(3);
  });
});

describe('TaskEngine: dispatch', () => {
  it('runs a higher-priority task queued later before lower-priority ones', async () => {
    const blocking = new BlockingTask();
    const f = createEngineFixture({ tasks: [blocking], settings: { concurrency: 1 } });
    await f.engine.start(['worker']);

    const blocker = await f.submit('blocking', { label: 'blocker', block: true });
    await f.flush();
    expect(blocking.order).toEqual(['blocker']);
    const low = await f.submit('blocking', { label: 'low' }, { priority: 1 });
    const lowest = await f.submit('blocking', { label: 'lowest' }, { priority: 0 });
    const high = await f.submit('blocking', { label: 'high' }, { priority: 10 });
    const mid = await f.submit('blocking', { label: 'mid' }, { priority: 5 });
    await f.flush();
    expect(blocking.order).toEqual(['blocker']);
    expect(f.engine.worker.running()).toEqual([blocker.task.id]);

    blocking.gates.get('blocker')!.resolve();
    for (const { task } of [low, lowest, high, mid]) await f.settle(task.id, 'completed');
    expect(blocking.order).toEqual(['blocker', 'high', 'mid', 'low', 'lowest']);
  });

  it('hands a task over between placements when the engine runs both', async () => {
    const handover = new HandoverTask();
    const f = createEngineFixture({ tasks: [handover] });
    await f.engine.start(['api', 'worker']);
    const { task } = await f.submit('handover');
    expect(task.placement).toBe('api');

    // No time passes: the hand-over must not wait for the sweeper.
    const stored = await f.settle(task.id, 'completed');
    expect(handover.placements).toEqual(['accept', 'process']);
    expect(stored.status).toBe('completed');
    expect(stored.output).toEqual({ processed: task.id });
    expect(stored.placement).toBe('worker');
  });

  it('hands over eventually, through the sweeper, when the wake-up is lost', async () => {
    const handover = new HandoverTask();
    const f = createEngineFixture({ tasks: [handover] });
    await f.engine.start(['api', 'worker']);
    const { task } = await f.submit('handover');
    await f.flush();
    await f.clock.advance(f.settings.pendingGraceMs + f.settings.sweepIntervalMs);
    expect((await f.settle(task.id, 'completed')).status).toBe('completed');
    expect(handover.placements).toEqual(['accept', 'process']);
  });

  it('only runs the placements it was started with', async () => {
    const handover = new HandoverTask();
    const f = createEngineFixture({ tasks: [handover] });
    await f.engine.start(['api']);
    const { task } = await f.submit('handover');
    await f.flush();
    await f.clock.advance(60_000);
    const stored = await f.task(task.id);
    expect(handover.placements).toEqual(['accept']);
    expect(stored).toMatchObject({ status: 'pending', placement: 'worker', leaseOwner: null });
    expect(stored.steps.map((s) => s.status)).toEqual(['completed', 'pending']);

    // A worker process (same store, its own queue) picks it up.
    const worker = createEngineFixture({
      tasks: [handover],
      store: f.store,
      clock: f.clock,
      settings: { workerId: 'worker-b' },
    });
    await worker.engine.start(['worker']);
    await f.clock.advance(worker.settings.sweepIntervalMs);
    expect((await worker.settle(task.id, 'completed')).status).toBe('completed');
    expect(handover.placements).toEqual(['accept', 'process']);
  });
});

@Task({ name: 'instant-retry' })
class InstantRetryTask {
  invocations = 0;

  @Step({ order: 1, retry: { attempts: 2, backoff: 'fixed', delayMs: 0 } })
  run(ctx: StepContext) {
    this.invocations++;
    if (ctx.attempt === 1) throw new Error('first attempt fails');
    return 'second attempt';
  }
}

@Task({ name: 'report-then-fail' })
class ReportThenFailTask {
  invocations = 0;
  @Step({ order: 1, retry: { attempts: 2, backoff: 'fixed', delayMs: 100 } })
  run(ctx: StepContext) {
    this.invocations++;
    ctx.progress(0.5, 'working');
    if (ctx.attempt === 1) throw new Error('first attempt fails');
    return 'second attempt';
  }
}

@Task({ name: 'short-lived', retentionMs: 1000 })
class ShortLivedTask {
  @Step({ order: 1 })
  run() {
    return 'gone soon';
  }
}

describe('TaskEngine: edge cases', () => {
  it('retries at once when the retry delay is 0, without waiting for the sweeper', async () => {
    const instant = new InstantRetryTask();
    const f = createEngineFixture({ tasks: [instant] }); // default concurrency 4
    await f.engine.start(['worker']);
    const { task } = await f.submit('instant-retry');
    const stored = await f.settle(task.id, 'completed');
    expect(instant.invocations).toBe(2);
    expect(stored.status).toBe('completed');
  });

  it('keeps the retry of a step that reported progress just before failing', async () => {
    const failing = new ReportThenFailTask();
    const f = createEngineFixture({ tasks: [failing] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('report-then-fail');
    await f.flush();
    expect((await f.task(task.id)).status).toBe('pending');
    await f.clock.advance(100);
    const stored = await f.settle(task.id, 'completed');
    expect(failing.invocations).toBe(2);
    expect(stored.status).toBe('completed');
  });

  it('creates one task for concurrent submits with the same Idempotency-Key', async () => {
    const pipeline = new PipelineTask();
    const f = createEngineFixture({ tasks: [pipeline] });
    await f.engine.start(['worker']);
    const results = await Promise.all([1, 2, 3].map(() => f.submit('pipeline', { n: 1 }, { idempotencyKey: 'same' })));
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    await f.settle(results[0].task.id, 'completed');
    expect(pipeline.count('a')).toBe(1);
  });

  it('deletes finished tasks, their events and their files after their retention', async () => {
    const f = createEngineFixture({ tasks: [new ShortLivedTask()] });
    await f.engine.start(['worker']);
    const { task } = await f.submit('short-lived');
    const done = await f.settle(task.id, 'completed');
    expect(done.finishedAt).toBe(f.clock.now());

    await f.clock.advance(999);
    await f.engine.sweeper.sweep();
    expect(await f.store.get(task.id)).not.toBeNull();

    await f.clock.advance(2);
    await f.engine.sweeper.sweep();
    expect(await f.store.get(task.id)).toBeNull();
    expect(await f.store.listEvents(task.id)).toEqual([]);
    expect((f.storage as MemoryObjectStorage).deletedPrefixes).toEqual([`tasks/${task.id}/`]);
  });
});
