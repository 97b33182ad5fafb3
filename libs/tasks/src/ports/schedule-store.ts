import type { ScheduleRecord } from '../model';

/** Whose schedules to list: one owner's, or every owner's. */
export interface ScheduleQuery {
  owner?: string;
}

/**
 * Persistence of cron schedules. The guarantee of one task per slot does not
 * live here but in the task store's unique (owner, idempotency key): this
 * store keeps how far each schedule got, moved only forward.
 */
export interface ScheduleStore {
  /** Inserts the schedule; false (and nothing written) when the name is taken. */
  create(schedule: ScheduleRecord): Promise<boolean>;
  /**
   * Inserts the schedule, or rewrites an existing one's definition (type,
   * cron, time zone, input, owner, policy, declared, updatedAt) keeping its
   * pause, its last slot and its creation time; `activeFrom` is taken from
   * `schedule` only when the cron or the time zone changed. Declarations are
   * written this way at every start.
   */
  upsert(schedule: ScheduleRecord): Promise<void>;
  get(name: string): Promise<ScheduleRecord | null>;
  /** By name. */
  list(query?: ScheduleQuery): Promise<ScheduleRecord[]>;
  /**
   * Pauses or resumes; a resume of a paused schedule sets `activeFrom` to
   * `now` (the slots it missed while paused are not due). Null when unknown.
   */
  setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRecord | null>;
  /** False when there was none. */
  remove(name: string): Promise<boolean>;
  /**
   * Moves the schedule's last slot to `slotAt` in one conditional statement,
   * only forward (`lastSlotAt` null or before `slotAt`): false when it was
   * there already or beyond (another process got there first), or unknown.
   */
  advance(name: string, slotAt: number): Promise<boolean>;
}
