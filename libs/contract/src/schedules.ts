/**
 * What happens to a schedule's slots that passed while no scheduler could
 * submit them: `latest` submits the most recent of them once, `skip` none.
 * A slot on time is always submitted.
 */
export const MISSED_SLOT_POLICIES = ['latest', 'skip'] as const;

/** `latest` or `skip`. */
export type MissedSlotPolicy = (typeof MISSED_SLOT_POLICIES)[number];

/** A cron schedule as the REST API answers it (`GET /schedules`, `POST /schedules`...). */
export interface ScheduleView {
  name: string;
  /** The task type each slot submits. */
  type: string;
  cron: string;
  /** IANA time zone the cron is read in. */
  timezone: string;
  input: unknown;
  missed: MissedSlotPolicy;
  paused: boolean;
  /** From `@Task({ schedules })`: it can be paused, not deleted. */
  declared: boolean;
  /** The latest slot dealt with; null before the first. */
  lastSlotAt: string | null;
  /** The next slot; null while paused. */
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
  links: { self: string };
}

/** `GET /schedules`: the caller's schedules, by name. */
export interface ScheduleListView {
  items: ScheduleView[];
}
