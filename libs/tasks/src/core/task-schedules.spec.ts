import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { ManualClock } from '../adapters/memory';
import { Step, Task, type StepContext } from '../definition';
import { scheduleSlotKey, TaskEngine } from '../engine';
import { TaskModule } from '../task.module';
import { TaskSchedules } from './task-schedules';

const digestInput = z.object({ tenant: z.string() });

@Task({
  name: 'digest',
  input: digestInput,
  schedules: [{ name: 'minutely', cron: '* * * * *', input: { tenant: 'all' }, owner: 'ops' }],
})
class DigestTask {
  @Step({ order: 1 })
  send(ctx: StepContext<z.output<typeof digestInput>>) {
    return { sent: ctx.input.tenant };
  }
}

const T0 = Date.parse('2026-06-01T10:00:30Z');

/**
 * Embedded mode (SQLite under dataDir) on a manual clock: the declared
 * schedule and one added from code run, and what they did survives a restart.
 */
describe('TaskSchedules: schedules in an embedded app, from code', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-schedules-'));
  const clock = new ManualClock(T0);
  let app: INestApplicationContext;

  async function boot(): Promise<INestApplicationContext> {
    @Module({
      imports: [
        TaskModule.forRoot({
          dataDir,
          clock,
          dashboard: false,
          engine: { sweepIntervalMs: 3_600_000, reconcileIntervalMs: 0, scheduleIntervalMs: 3_600_000 },
        }),
      ],
      providers: [DigestTask],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    return moduleRef.createNestApplication({ logger: false }).init();
  }

  /** Slot times of a schedule's tasks, from their idempotency keys. */
  async function slotsOf(name: string, owner: string): Promise<string[]> {
    const { items } = await app.get(TaskEngine).list({ owner, type: 'digest', limit: 100 });
    const prefix = `schedule:${name}:`;
    return items
      .map((t) => t.idempotencyKey ?? '')
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length))
      .sort();
  }

  beforeAll(async () => {
    app = await boot();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the declared schedule and one added from code, each slot once, and keeps them across a restart', async () => {
    const schedules = app.get(TaskSchedules);
    const added = await schedules.add(DigestTask, {
      name: 'acme',
      cron: '*/2 * * * *',
      timezone: 'Europe/Paris',
      input: { tenant: 'acme' },
      owner: 'acme',
    });
    expect(added).toMatchObject({ type: 'digest', declared: false, nextRunAt: Date.parse('2026-06-01T10:02:00Z') });
    // @ts-expect-error tenant is a string in DigestTask's steps
    const wrongType = () => schedules.add(DigestTask, { name: 'bad', cron: '* * * * *', input: { tenant: 1 } });
    await expect(wrongType()).rejects.toMatchObject({ kind: 'invalid_input' });

    await clock.advance(150_000); // 10:03:00
    expect(await slotsOf('digest:minutely', 'ops')).toEqual([
      '2026-06-01T10:01:00.000Z',
      '2026-06-01T10:02:00.000Z',
      '2026-06-01T10:03:00.000Z',
    ]);
    expect(await slotsOf('acme', 'acme')).toEqual(['2026-06-01T10:02:00.000Z']);
    expect((await schedules.list('acme')).map((s) => s.name)).toEqual(['acme']);
    expect((await schedules.list()).map((s) => s.name)).toEqual(['acme', 'digest:minutely']);

    await schedules.pause('digest:minutely');
    await app.close();
    app = await boot();
    const again = app.get(TaskSchedules);
    // The pause and the last slot were kept; the declaration was written again, not reset.
    expect(await again.get('digest:minutely')).toMatchObject({
      paused: true,
      lastSlotAt: Date.parse('2026-06-01T10:03:00Z'),
    });
    await clock.advance(60_000); // 10:04
    expect(await slotsOf('digest:minutely', 'ops')).toHaveLength(3);
    expect(await slotsOf('acme', 'acme')).toEqual(['2026-06-01T10:02:00.000Z', '2026-06-01T10:04:00.000Z']);

    await again.remove('acme');
    await expect(again.get('acme')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(again.remove('digest:minutely')).rejects.toMatchObject({ kind: 'conflict' });
    expect(scheduleSlotKey('acme', Date.parse('2026-06-01T10:04:00Z'))).toBe('schedule:acme:2026-06-01T10:04:00.000Z');
  });
});
