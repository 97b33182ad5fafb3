import type { ScheduleRecord } from '../../model';
import type { ScheduleQuery, ScheduleStore } from '../../ports';

/** Cron schedules in memory: tests, and a host that brings its own task store. The reference of the contract. */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly records = new Map<string, ScheduleRecord>();

  async create(schedule: ScheduleRecord): Promise<boolean> {
    if (this.records.has(schedule.name)) return false;
    this.records.set(schedule.name, clone(schedule));
    return true;
  }

  async upsert(schedule: ScheduleRecord): Promise<void> {
    const existing = this.records.get(schedule.name);
    if (!existing) return void this.records.set(schedule.name, clone(schedule));
    const moved = existing.cron !== schedule.cron || existing.timezone !== schedule.timezone;
    this.records.set(schedule.name, {
      ...clone(schedule),
      paused: existing.paused,
      lastSlotAt: existing.lastSlotAt,
      createdAt: existing.createdAt,
      activeFrom: moved ? schedule.activeFrom : existing.activeFrom,
    });
  }

  async get(name: string): Promise<ScheduleRecord | null> {
    const record = this.records.get(name);
    return record ? clone(record) : null;
  }

  async list(query: ScheduleQuery = {}): Promise<ScheduleRecord[]> {
    return [...this.records.values()]
      .filter((r) => query.owner === undefined || r.owner === query.owner)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(clone);
  }

  async setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    const record = this.records.get(name);
    if (!record) return null;
    if (record.paused && !paused) record.activeFrom = now;
    if (record.paused !== paused) record.updatedAt = now;
    record.paused = paused;
    return clone(record);
  }

  async remove(name: string): Promise<boolean> {
    return this.records.delete(name);
  }

  async advance(name: string, slotAt: number): Promise<boolean> {
    const record = this.records.get(name);
    if (!record || (record.lastSlotAt !== null && record.lastSlotAt >= slotAt)) return false;
    record.lastSlotAt = slotAt;
    return true;
  }
}

function clone(record: ScheduleRecord): ScheduleRecord {
  return { ...record, input: structuredClone(record.input) };
}
