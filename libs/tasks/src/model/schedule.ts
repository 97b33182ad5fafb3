import type { MissedSlotPolicy } from '@stepwise/contract';

// The policy names are the public contract's (shared with @stepwise/client).
export { MISSED_SLOT_POLICIES, type MissedSlotPolicy, type ScheduleInput } from '@stepwise/contract';

/** A stored cron schedule: a task of `type` with `input`, owned by `owner`, once per slot. */
export interface ScheduleRecord {
  /** Unique. A declared schedule's is `<task type>:<its name or index>`. */
  name: string;
  /** The task type submitted at each slot. */
  type: string;
  /** Five fields (minute first), or six (seconds first). */
  cron: string;
  /** IANA time zone the cron is read in, e.g. `Europe/Paris`. */
  timezone: string;
  input: unknown;
  /** Owner of the schedule and of the tasks it submits. */
  owner: string;
  missed: MissedSlotPolicy;
  paused: boolean;
  /** From a `@Task({ schedules })` declaration (written at every start), not added at run time. */
  declared: boolean;
  /** The latest slot dealt with (submitted, or passed over by the policy); null before the first. */
  lastSlotAt: number | null;
  /**
   * Only slots after this time are due: the creation, the last change of
   * cron or time zone, the last resume (a paused schedule's slots are not
   * made up for).
   */
  activeFrom: number;
  createdAt: number;
  updatedAt: number;
}
