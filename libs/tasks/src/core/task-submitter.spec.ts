import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { Step, Task, type StepContext } from '../definition';
import { NonRetryableError } from '../engine';
import type { TaskEvent } from '../model';
import { TaskModule } from '../task.module';
import { TaskSubmitter } from './task-submitter';

const reportInput = z.object({ month: z.string().regex(/^\d{4}-\d{2}$/), rows: z.number().int() });
type ReportInput = z.output<typeof reportInput>;

@Task({ name: 'report', input: reportInput })
class ReportTask {
  @Step({ order: 1 })
  collect(ctx: StepContext<ReportInput>) {
    ctx.progress(0.5, 'half');
    return { rows: ctx.input.rows };
  }

  @Step({ order: 2 })
  render(ctx: StepContext<ReportInput, { collect: { rows: number } }>) {
    return { title: `Report ${ctx.input.month}`, rows: ctx.outputs.collect!.rows };
  }
}

/** Fails for good until its month is "fixed" (a deploy, in the test). */
const fixedMonths = new Set<string>();

@Task({ name: 'flaky-report', input: z.object({ month: z.string() }) })
class FlakyReportTask {
  @Step({ order: 1 })
  collect() {
    return { rows: 3 };
  }

  @Step({ order: 2 })
  render(ctx: StepContext<{ month: string }>) {
    if (!fixedMonths.has(ctx.input.month)) throw new NonRetryableError('renderer broken');
    return { month: ctx.input.month };
  }
}

@Task({ name: 'slow' })
class SlowTask {
  @Step({ order: 1 })
  async wait(ctx: StepContext<{ ms: number }>) {
    await sleep(ctx.input.ms, undefined, { signal: ctx.signal });
  }
}

describe('TaskSubmitter: submitting and following tasks from code', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-submitter-'));
  let app: INestApplicationContext;
  let tasks: TaskSubmitter;

  beforeAll(async () => {
    @Module({
      imports: [TaskModule.forRoot({ dataDir, dashboard: false })],
      providers: [ReportTask, SlowTask, FlakyReportTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    tasks = app.get(TaskSubmitter);
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('submits a task class with its typed input, and follows it to its result', async () => {
    const report = await tasks.submit(ReportTask, { month: '2026-11', rows: 42 }, { owner: 'finance' });
    expect(report.created).toBe(true);
    const events: TaskEvent[] = [];
    for await (const event of report.events()) events.push(event);

    const finished = await report.done();
    expect(finished).toMatchObject({ id: report.id, owner: 'finance', status: 'completed' });
    expect(await report.result()).toEqual({ title: 'Report 2026-11', rows: 42 });
    const logged = events.filter((e) => e.seq !== undefined);
    expect(logged.map((e) => e.seq)).toEqual([...new Set(logged.map((e) => e.seq))].sort((a, b) => a! - b!));
    expect(logged[0].type).toBe('task.created');
    expect(events.at(-1)!.type).toBe('task.completed');
    expect(logged.filter((e) => e.type === 'task.step' && e.stepStatus === 'completed').map((e) => e.step)).toEqual([
      'collect',
      'render',
    ]);
  });

  it('checks the input against the schema, as REST does', async () => {
    await expect(tasks.submit(ReportTask, { month: 'November', rows: 1 })).rejects.toMatchObject({
      kind: 'invalid_input',
    });
    // @ts-expect-error rows is a number in ReportTask's steps
    const wrongType = () => tasks.submit(ReportTask, { month: '2026-11', rows: 'many' });
    await expect(wrongType()).rejects.toMatchObject({ kind: 'invalid_input' });
  });

  it('replays a submit with the same idempotency key', async () => {
    const first = await tasks.submit(SlowTask, { ms: 1 }, { idempotencyKey: 'nightly-1' });
    const again = await tasks.submit(SlowTask, { ms: 1 }, { idempotencyKey: 'nightly-1' });
    expect(again).toMatchObject({ id: first.id, created: false });
    await first.done();
  });

  it('answers a held singleton key with the unfinished task, or a conflict when asked; free once it ended', async () => {
    const first = await tasks.submit(SlowTask, { ms: 60_000 }, { singletonKey: 'sync-customer-7' });
    const again = await tasks.submit(SlowTask, { ms: 1 }, { singletonKey: 'sync-customer-7' });
    expect(again).toMatchObject({ id: first.id, created: false });
    await expect(
      tasks.submit(SlowTask, { ms: 1 }, { singletonKey: 'sync-customer-7', singleton: 'conflict' }),
    ).rejects.toMatchObject({ kind: 'conflict', details: { taskId: first.id } });
    await first.cancel();
    await first.done();
    const next = await tasks.submit(SlowTask, { ms: 1 }, { singletonKey: 'sync-customer-7', singleton: 'conflict' });
    expect(next).toMatchObject({ created: true });
    expect(next.id).not.toBe(first.id);
    await next.done();
  });

  it('cancels, and done() resolves with the cancelled task', async () => {
    const slow = await tasks.submit(SlowTask, { ms: 60_000 });
    await slow.cancel();
    expect((await slow.done()).status).toBe('cancelled');
    expect(await slow.result()).toBeUndefined();
  });

  it("keeps another owner's task out of reach", async () => {
    const mine = await tasks.submit(SlowTask, { ms: 1 }, { owner: 'alice' });
    await expect(tasks.handle(mine.id, 'mallory').status()).rejects.toMatchObject({ kind: 'not_found' });
    expect((await tasks.handle(mine.id, 'alice').done()).status).toBe('completed');
  });

  it('counts, retries (one, then by filter) and deletes finished tasks from code', async () => {
    const owner = 'ops';
    const failed = [];
    for (const month of ['2026-09', '2026-10', '2026-11']) {
      const task = await tasks.submit(FlakyReportTask, { month }, { owner });
      expect((await task.done()).status).toBe('failed');
      failed.push(task);
    }
    expect(await tasks.stats(owner)).toMatchObject({ total: 3, byType: { 'flaky-report': { failed: 3 } } });

    fixedMonths.add('2026-09');
    expect(await failed[0].retry()).toMatchObject({ status: 'pending' });
    expect((await failed[0].done()).status).toBe('completed');
    await expect(failed[0].retry()).rejects.toMatchObject({ kind: 'conflict' });

    fixedMonths.add('2026-10');
    fixedMonths.add('2026-11');
    // Another owner's failures are not this filter's.
    const theirs = await tasks.submit(FlakyReportTask, { month: '2026-12' }, { owner: 'someone-else' });
    await theirs.done();
    expect(await tasks.retryFailed({ owner, type: 'flaky-report', finishedAfter: Date.now() - 60_000 })).toBe(2);
    for (const task of failed.slice(1)) expect((await task.done()).status).toBe('completed');
    // By id, as a later request would find it.
    expect((await tasks.handle(failed[1].id, owner).status()).status).toBe('completed');

    expect(
      await tasks.deleteFinished({ owner, statuses: ['completed'], finishedBefore: new Date(Date.now() + 1_000) }),
    ).toBe(3);
    expect((await tasks.stats(owner)).total).toBe(0);
    expect((await tasks.stats()).byType['flaky-report']).toMatchObject({ failed: 1 });
  });
});
