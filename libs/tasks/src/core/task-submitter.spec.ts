import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { Step, Task, type StepContext } from '../definition';
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
    @Module({ imports: [TaskModule.forRoot({ dataDir, dashboard: false })], providers: [ReportTask, SlowTask] })
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
});
