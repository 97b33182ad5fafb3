import { z } from 'zod';
import { ManualClock, MemoryScheduleStore, MemoryTaskStore } from '../adapters/memory';
import { Step, Task, TaskDefinitionError } from '../definition';
import type { ScheduleStore, TaskStore } from '../ports';
import { scheduleSlotKey } from './scheduler';
import { createEngineFixture, type EngineFixture } from './testing/engine-fixture';

@Task({ name: 'report', input: z.object({ month: z.string() }) })
class ReportTask {
  @Step({ order: 1, on: 'worker' })
  run() {
    return 'done';
  }
}

@Task({
  name: 'nightly',
  schedules: [
    { name: 'paris', cron: '30 2 * * *', timezone: 'Europe/Paris', owner: 'ops' },
    { cron: '0 12 * * *', missed: 'skip' },
  ],
})
class NightlyTask {
  @Step({ order: 1, on: 'worker' })
  run() {
    return 'done';
  }
}

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The engine timers a day-long fake-clock run can afford: a scheduler pass per slot or per hour, nothing else. */
const SETTINGS = {
  sweepIntervalMs: 7 * 86_400_000,
  reconcileIntervalMs: 0,
  scheduleIntervalMs: 3_600_000,
  scheduleGraceMs: 60_000,
};

interface Shared {
  clock: ManualClock;
  store: TaskStore;
  schedules: ScheduleStore;
}

function shared(start: string): Shared {
  return { clock: new ManualClock(at(start)), store: new MemoryTaskStore(), schedules: new MemoryScheduleStore() };
}

/** One process on the shared database and clock. */
function proc(s: Shared, idPrefix = 'p1', tasks: object[] = [new ReportTask()]): EngineFixture {
  return createEngineFixture({ ...s, tasks, idPrefix, settings: SETTINGS });
}

/** The slots that have a task, from the tasks' idempotency keys (which name the schedule and the slot). */
async function slotsWithTasks(s: Shared, owner = 'alice'): Promise<string[]> {
  const { items } = await s.store.list({ owner, limit: 100 });
  return items.map((t) => t.idempotencyKey ?? '(none)').sort();
}

const keys = (name: string, ...slots: string[]) => slots.map((slot) => scheduleSlotKey(name, at(slot))).sort();

describe('Scheduler', () => {
  const started: EngineFixture[] = [];
  async function start(f: EngineFixture): Promise<EngineFixture> {
    started.push(f);
    await f.engine.start(['api', 'worker']);
    return f;
  }
  afterEach(async () => {
    for (const f of started.splice(0)) await f.engine.stop();
  });

  it('submits one task per slot, at the slot, as the fake clock crosses slot boundaries', async () => {
    const s = shared('2026-06-01T10:00:30Z');
    const f = await start(proc(s));
    const added = await f.engine.scheduler.add({
      name: 'minutely',
      type: 'report',
      cron: '* * * * *',
      input: { month: '2026-06' },
      owner: 'alice',
    });
    expect(iso(added.nextRunAt!)).toBe('2026-06-01T10:01:00.000Z');

    await s.clock.advance(29_999); // 10:00:59.999
    expect(await slotsWithTasks(s)).toEqual([]);
    await s.clock.advance(1); // 10:01:00: the pass is timed on the slot, not on the interval
    expect(await slotsWithTasks(s)).toEqual(keys('minutely', '2026-06-01T10:01:00Z'));
    await s.clock.advance(2 * 60_000);
    expect(await slotsWithTasks(s)).toEqual(
      keys('minutely', '2026-06-01T10:01:00Z', '2026-06-01T10:02:00Z', '2026-06-01T10:03:00Z'),
    );

    const { items } = await s.store.list({ owner: 'alice', limit: 10 });
    expect(items.every((t) => t.type === 'report' && (t.input as { month: string }).month === '2026-06')).toBe(true);
    expect((await s.schedules.get('minutely'))?.lastSlotAt).toBe(at('2026-06-01T10:03:00Z'));
    expect(iso((await f.engine.scheduler.get('minutely')).nextRunAt!)).toBe('2026-06-01T10:04:00.000Z');
  });

  it('two processes at every slot: one task per slot, never two', async () => {
    const s = shared('2026-06-01T10:00:00Z');
    const a = proc(s, 'a');
    const b = proc(s, 'b');
    await a.engine.scheduler.add({
      name: 'every-second',
      type: 'report',
      cron: '* * * * * *',
      input: { month: 'x' },
      owner: 'alice',
    });
    for (let i = 0; i < 5; i++) {
      await s.clock.advance(1_000);
      // Both passes at the same instant, their statements interleaved.
      const counts = await Promise.all([a.engine.scheduler.tick(), b.engine.scheduler.tick()]);
      expect(counts).toEqual([1, 1]);
    }
    expect(await slotsWithTasks(s)).toEqual(
      keys(
        'every-second',
        '2026-06-01T10:00:01Z',
        '2026-06-01T10:00:02Z',
        '2026-06-01T10:00:03Z',
        '2026-06-01T10:00:04Z',
        '2026-06-01T10:00:05Z',
      ),
    );
  });

  it('a crash between the submit and the advance submits the same key again, which finds the task there', async () => {
    const s = shared('2026-06-01T09:59:00Z');
    const f = proc(s);
    await f.engine.scheduler.add({
      name: 'h',
      type: 'report',
      cron: '0 * * * *',
      input: { month: 'x' },
      owner: 'alice',
    });
    await s.clock.advance(60_000); // 10:00, no scheduler running
    // The first process submitted the slot's task and died before advancing the schedule.
    await f.engine.submit({
      type: 'report',
      input: { month: 'x' },
      owner: 'alice',
      idempotencyKey: scheduleSlotKey('h', at('2026-06-01T10:00:00Z')),
      fingerprint: scheduleSlotKey('h', at('2026-06-01T10:00:00Z')),
    });
    expect(await f.engine.scheduler.tick()).toBe(1);
    expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z'));
    expect((await s.schedules.get('h'))?.lastSlotAt).toBe(at('2026-06-01T10:00:00Z'));
  });

  describe('across daylight-saving changes (Europe/Paris)', () => {
    it('spring forward, 2026-03-29: the 02:30 that does not exist runs once, at 03:30 CEST', async () => {
      const s = shared('2026-03-27T12:00:00Z');
      const f = await start(proc(s));
      await f.engine.scheduler.add({
        name: 'paris',
        type: 'report',
        cron: '30 2 * * *',
        timezone: 'Europe/Paris',
        input: { month: 'x' },
        owner: 'alice',
      });
      await s.clock.advance(at('2026-03-31T00:00:00Z') - s.clock.now());
      expect(await slotsWithTasks(s)).toEqual(
        keys(
          'paris',
          '2026-03-28T01:30:00Z', // 02:30 CET
          '2026-03-29T01:30:00Z', // 03:30 CEST: 02:00 jumped to 03:00, the slot moved with the hour
          '2026-03-30T00:30:00Z', // 02:30 CEST
        ),
      );
    });

    it('fall back, 2026-10-25: the repeated 02:30 runs once, at its first pass (CEST)', async () => {
      const s = shared('2026-10-23T12:00:00Z');
      const f = await start(proc(s));
      await f.engine.scheduler.add({
        name: 'paris',
        type: 'report',
        cron: '30 2 * * *',
        timezone: 'Europe/Paris',
        input: { month: 'x' },
        owner: 'alice',
      });
      await s.clock.advance(at('2026-10-27T00:00:00Z') - s.clock.now());
      expect(await slotsWithTasks(s)).toEqual(
        keys(
          'paris',
          '2026-10-24T00:30:00Z', // 02:30 CEST
          '2026-10-25T00:30:00Z', // 02:30 CEST, the first pass; not again at 02:30 CET (01:30Z)
          '2026-10-26T01:30:00Z', // 02:30 CET
        ),
      );
    });

    it('an hourly cron follows the real hours: 23 slots on the spring day, 25 on the autumn day', async () => {
      for (const [from, to, count] of [
        ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', 23], // Paris midnight to midnight
        ['2026-10-24T22:00:00Z', '2026-10-25T23:00:00Z', 25],
      ] as const) {
        const s = shared(from);
        const f = await start(proc(s));
        await f.engine.scheduler.add({
          name: 'hourly',
          type: 'report',
          cron: '0 * * * *',
          timezone: 'Europe/Paris',
          input: { month: 'x' },
          owner: 'alice',
        });
        // The slot at `from` itself was at the add: only later ones count. Up to and including `to`.
        await s.clock.advance(at(to) - s.clock.now());
        const slots = await slotsWithTasks(s);
        expect(slots).toHaveLength(count);
        expect(slots.at(-1)).toBe(scheduleSlotKey('hourly', at(to)));
        await f.engine.stop();
      }
    });
  });

  describe('slots missed while everything was down', () => {
    async function downFiveHours(missed: 'latest' | 'skip') {
      const s = shared('2026-06-01T09:30:00Z');
      const first = await start(proc(s, 'first'));
      await first.engine.scheduler.add({
        name: 'h',
        type: 'report',
        cron: '0 * * * *',
        input: { month: 'x' },
        owner: 'alice',
        missed,
      });
      await s.clock.advance(at('2026-06-01T10:30:00Z') - s.clock.now());
      expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z'));
      await first.engine.stop();
      // Down from 10:30 to 15:30: the slots 11:00 to 15:00 pass with no scheduler.
      await s.clock.advance(5 * 3_600_000);
      const second = await start(proc(s, 'second'));
      await second.flush();
      return { s, second };
    }

    it('latest: the most recent missed slot runs once at restart, then the schedule goes on', async () => {
      const { s, second } = await downFiveHours('latest');
      expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z', '2026-06-01T15:00:00Z'));
      expect(second.logger.messages('warn').join('\n')).toMatch(
        /slots missed since 2026-06-01T11:00:00.000Z: the latest, 2026-06-01T15:00:00.000Z, runs/,
      );
      await s.clock.advance(30 * 60_000);
      expect(await slotsWithTasks(s)).toEqual(
        keys('h', '2026-06-01T10:00:00Z', '2026-06-01T15:00:00Z', '2026-06-01T16:00:00Z'),
      );
    });

    it('skip: no missed slot runs; the next slot does', async () => {
      const { s } = await downFiveHours('skip');
      expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z'));
      expect((await s.schedules.get('h'))?.lastSlotAt).toBe(at('2026-06-01T15:00:00Z'));
      await s.clock.advance(30 * 60_000);
      expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z', '2026-06-01T16:00:00Z'));
    });

    it('a slot late by less than the grace is on time under either policy', async () => {
      const s = shared('2026-06-01T09:59:00Z');
      const f = proc(s);
      await f.engine.scheduler.add({
        name: 'h',
        type: 'report',
        cron: '0 * * * *',
        input: { month: 'x' },
        owner: 'alice',
        missed: 'skip',
      });
      await s.clock.advance(60_000 + SETTINGS.scheduleGraceMs); // 10:01, a minute late
      expect(await f.engine.scheduler.tick()).toBe(1);
      await s.clock.advance(3_600_000 + 1); // 11:01:00.001: past the grace
      expect(await f.engine.scheduler.tick()).toBe(0);
      expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T10:00:00Z'));
    });
  });

  it('a paused schedule submits nothing, and a resume does not make up for the slots it passed', async () => {
    const s = shared('2026-06-01T09:30:00Z');
    const f = await start(proc(s));
    await f.engine.scheduler.add({
      name: 'h',
      type: 'report',
      cron: '0 * * * *',
      input: { month: 'x' },
      owner: 'alice',
    });
    const paused = await f.engine.scheduler.setPaused('h', true, 'alice');
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    await s.clock.advance(3 * 3_600_000); // 12:30
    expect(await slotsWithTasks(s)).toEqual([]);
    const resumed = await f.engine.scheduler.setPaused('h', false, 'alice');
    expect(iso(resumed.nextRunAt!)).toBe('2026-06-01T13:00:00.000Z');
    await s.clock.advance(60 * 60_000); // 13:30
    expect(await slotsWithTasks(s)).toEqual(keys('h', '2026-06-01T13:00:00Z'));
  });

  it('writes the declared schedules at start, keeps their pause across restarts, removes those no longer declared', async () => {
    const s = shared('2026-06-01T11:59:00Z');
    const first = await start(proc(s, 'first', [new NightlyTask()]));
    await first.flush();
    const listed = await first.engine.scheduler.list();
    expect(listed.map((x) => [x.name, x.owner, x.timezone, x.missed, x.declared, iso(x.nextRunAt!)])).toEqual([
      ['nightly:1', 'anonymous', 'UTC', 'skip', true, '2026-06-01T12:00:00.000Z'],
      ['nightly:paris', 'ops', 'Europe/Paris', 'latest', true, '2026-06-02T00:30:00.000Z'],
    ]);
    await s.clock.advance(60_000);
    expect(await slotsWithTasks(s, 'anonymous')).toEqual(keys('nightly:1', '2026-06-01T12:00:00Z'));

    await first.engine.scheduler.setPaused('nightly:paris', true);
    await expect(first.engine.scheduler.remove('nightly:paris')).rejects.toMatchObject({ kind: 'conflict' });
    // A schedule the type no longer declares (an older deploy's) goes at the next start; the pause stays.
    await s.schedules.upsert({ ...(await s.schedules.get('nightly:1'))!, name: 'nightly:old' });
    await first.engine.stop();
    const second = await start(proc(s, 'second', [new NightlyTask()]));
    await second.flush();
    expect((await second.engine.scheduler.list()).map((x) => [x.name, x.paused])).toEqual([
      ['nightly:1', false],
      ['nightly:paris', true],
    ]);
  });

  it('refuses to start on a declared schedule whose cron, time zone or input is wrong, naming it', async () => {
    @Task({ name: 'bad-cron', schedules: [{ cron: '0 3 * *' }] })
    class BadCron {
      @Step({ order: 1 })
      run() {}
    }
    @Task({ name: 'bad-zone', schedules: [{ name: 'x', cron: '0 3 * * *', timezone: 'Mars/Olympus' }] })
    class BadZone {
      @Step({ order: 1 })
      run() {}
    }
    @Task({
      name: 'bad-input',
      input: z.object({ n: z.number() }),
      schedules: [{ cron: '0 3 * * *', input: { n: 'x' } }],
    })
    class BadInput {
      @Step({ order: 1 })
      run() {}
    }
    const s = shared('2026-06-01T00:00:00Z');
    for (const [task, message] of [
      [new BadCron(), /BadCron: schedule "bad-cron:0": .*cron.*4 field/],
      [new BadZone(), /BadZone: schedule "bad-zone:x": .*timezone.*Mars\/Olympus/],
      [new BadInput(), /BadInput: schedule "bad-input:0": .*input\.n/],
    ] as const) {
      const f = proc(s, 'p', [task]);
      const error = await f.engine.start(['worker']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskDefinitionError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('checks what is added, naming the field; scopes every operation by owner', async () => {
    const s = shared('2026-06-01T00:00:00Z');
    const f = proc(s);
    const ok = { name: 'n', type: 'report', cron: '0 3 * * *', input: { month: 'x' }, owner: 'alice' };
    const fieldOf = (spec: object) =>
      f.engine.scheduler.add({ ...ok, ...spec }).then(
        () => 'added',
        (e: { kind: string; details?: Array<{ field: string }> }) => `${e.kind} ${e.details?.map((d) => d.field)}`,
      );
    expect(await fieldOf({ cron: '0 3 * *' })).toBe('invalid_input cron');
    expect(await fieldOf({ cron: '61 3 * * *' })).toBe('invalid_input cron');
    expect(await fieldOf({ cron: 'H 3 * * *' })).toBe('invalid_input cron');
    expect(await fieldOf({ cron: 42 })).toBe('invalid_input cron');
    expect(await fieldOf({ timezone: 'Mars/Olympus' })).toBe('invalid_input timezone');
    expect(await fieldOf({ type: 'nope' })).toBe('invalid_input type');
    expect(await fieldOf({ name: 'has:colon' })).toBe('invalid_input name');
    expect(await fieldOf({ missed: 'all' })).toBe('invalid_input missed');
    expect(await fieldOf({ owner: '' })).toBe('invalid_input owner');
    expect(await fieldOf({ input: { month: 3 } })).toBe('invalid_input input.month');
    expect(await fieldOf({ timezone: 'europe/paris' })).toBe('added');
    expect((await f.engine.scheduler.get('n')).timezone).toBe('Europe/Paris');
    expect(await fieldOf({})).toBe('conflict undefined');

    await expect(f.engine.scheduler.get('n', 'bob')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(f.engine.scheduler.setPaused('n', true, 'bob')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(f.engine.scheduler.remove('n', 'bob')).rejects.toMatchObject({ kind: 'not_found' });
    expect(await f.engine.scheduler.list('bob')).toEqual([]);
    await f.engine.scheduler.remove('n', 'alice');
    expect(await f.engine.scheduler.list()).toEqual([]);
  });

  it('a slot whose task cannot be submitted any more (input no longer valid) is logged and passed, not retried forever', async () => {
    const s = shared('2026-06-01T09:59:00Z');
    const f = proc(s);
    await f.engine.scheduler.add({
      name: 'h',
      type: 'report',
      cron: '0 * * * *',
      input: { month: 'x' },
      owner: 'alice',
    });
    await s.schedules.upsert({ ...(await s.schedules.get('h'))!, input: { month: 7 } });
    await s.clock.advance(60_000);
    expect(await f.engine.scheduler.tick()).toBe(0);
    expect(f.logger.messages('error').join('\n')).toMatch(/schedule "h": the slot .* is skipped: Invalid input/);
    expect((await s.schedules.get('h'))?.lastSlotAt).toBe(at('2026-06-01T10:00:00Z'));
  });
});
