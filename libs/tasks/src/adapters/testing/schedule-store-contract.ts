import type { ScheduleRecord } from '../../model';
import type { ScheduleStore } from '../../ports';

export interface ScheduleStoreUnderTest {
  store: ScheduleStore;
  close(): Promise<void>;
}

const T0 = 1_790_000_000_000;

export function scheduleRecord(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    name: `nightly-${Math.random().toString(36).slice(2, 8)}`,
    type: 'report',
    cron: '0 3 * * *',
    timezone: 'Europe/Paris',
    input: { month: '2026-11', tags: ['a', 'é'], nested: { n: 1 } },
    owner: 'alice',
    missed: 'latest',
    paused: false,
    declared: false,
    lastSlotAt: null,
    activeFrom: T0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** The semantics every ScheduleStore shares (MemoryScheduleStore is the reference). */
export function describeScheduleStoreContract(name: string, make: () => Promise<ScheduleStoreUnderTest>): void {
  describe(`ScheduleStore contract: ${name}`, () => {
    let handle: ScheduleStoreUnderTest;
    let store: ScheduleStore;
    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });
    afterEach(() => handle.close());

    it('creates a schedule and reads it back equal; a second create of the name writes nothing', async () => {
      const record = scheduleRecord({ lastSlotAt: T0 + 5_000 });
      expect(await store.create(record)).toBe(true);
      expect(await store.get(record.name)).toEqual(record);
      expect(await store.get('nope')).toBeNull();
      expect(await store.create({ ...record, owner: 'bob', cron: '* * * * *' })).toBe(false);
      expect(await store.get(record.name)).toEqual(record);
    });

    it('lists by name, every owner or one', async () => {
      await store.create(scheduleRecord({ name: 'b', owner: 'alice' }));
      await store.create(scheduleRecord({ name: 'a', owner: 'bob' }));
      await store.create(scheduleRecord({ name: 'c', owner: 'alice', paused: true }));
      expect((await store.list()).map((s) => s.name)).toEqual(['a', 'b', 'c']);
      expect((await store.list({ owner: 'alice' })).map((s) => s.name)).toEqual(['b', 'c']);
      expect(await store.list({ owner: 'carol' })).toEqual([]);
    });

    it('upsert inserts, then rewrites the definition but keeps the pause, the last slot and the creation', async () => {
      const first = scheduleRecord({ name: 'report:0', declared: true });
      await store.upsert(first);
      expect(await store.get('report:0')).toEqual(first);
      await store.setPaused('report:0', true, T0 + 1);
      await store.advance('report:0', T0 + 10);

      // Same cron and zone: the start of counting stays.
      await store.upsert({
        ...first,
        input: { month: '2026-12' },
        missed: 'skip',
        activeFrom: T0 + 99,
        updatedAt: T0 + 99,
        createdAt: T0 + 99,
      });
      expect(await store.get('report:0')).toEqual({
        ...first,
        input: { month: '2026-12' },
        missed: 'skip',
        paused: true,
        lastSlotAt: T0 + 10,
        updatedAt: T0 + 99,
      });
      // Another cron: counting starts over from the upsert's time.
      await store.upsert({ ...first, cron: '0 4 * * *', activeFrom: T0 + 200, updatedAt: T0 + 200 });
      expect(await store.get('report:0')).toMatchObject({
        cron: '0 4 * * *',
        activeFrom: T0 + 200,
        paused: true,
        lastSlotAt: T0 + 10,
      });
      // Another zone alike.
      await store.upsert({ ...first, cron: '0 4 * * *', timezone: 'UTC', activeFrom: T0 + 300, updatedAt: T0 + 300 });
      expect((await store.get('report:0'))?.activeFrom).toBe(T0 + 300);
    });

    it('pauses and resumes; only a resume out of a pause moves the start of counting', async () => {
      const record = scheduleRecord();
      await store.create(record);
      expect(await store.setPaused(record.name, true, T0 + 10)).toEqual({
        ...record,
        paused: true,
        updatedAt: T0 + 10,
      });
      // Pausing again changes nothing.
      expect(await store.setPaused(record.name, true, T0 + 20)).toMatchObject({ paused: true, updatedAt: T0 + 10 });
      expect(await store.setPaused(record.name, false, T0 + 30)).toMatchObject({
        paused: false,
        activeFrom: T0 + 30,
        updatedAt: T0 + 30,
      });
      // Resuming a running schedule leaves it alone.
      expect(await store.setPaused(record.name, false, T0 + 40)).toMatchObject({
        activeFrom: T0 + 30,
        updatedAt: T0 + 30,
      });
      expect(await store.setPaused('nope', true, T0)).toBeNull();
    });

    it('moves the last slot only forward', async () => {
      const record = scheduleRecord();
      await store.create(record);
      expect(await store.advance(record.name, T0 + 1_000)).toBe(true);
      expect(await store.advance(record.name, T0 + 1_000)).toBe(false);
      expect(await store.advance(record.name, T0 + 500)).toBe(false);
      expect((await store.get(record.name))?.lastSlotAt).toBe(T0 + 1_000);
      expect(await store.advance(record.name, T0 + 2_000)).toBe(true);
      expect((await store.get(record.name))?.lastSlotAt).toBe(T0 + 2_000);
      expect(await store.advance('nope', T0)).toBe(false);
    });

    it('of concurrent advances to one slot, exactly one moves it', async () => {
      const record = scheduleRecord();
      await store.create(record);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.advance(record.name, T0 + 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('removes a schedule', async () => {
      const record = scheduleRecord();
      await store.create(record);
      expect(await store.remove(record.name)).toBe(true);
      expect(await store.get(record.name)).toBeNull();
      expect(await store.remove(record.name)).toBe(false);
    });
  });
}
