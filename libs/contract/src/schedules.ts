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

/** `POST /schedules`: a schedule created at run time, owned by the caller. */
export interface ScheduleInput {
  /** Unique per owner; the URL names it (`/schedules/{name}`). */
  name: string;
  /** The task type each slot submits. */
  type: string;
  /** Five fields, or six with seconds first; `@daily` and the like ([Schedules](schedules.md)). */
  cron: string;
  /** IANA time zone; UTC when absent. */
  timezone?: string;
  /** The input of every task it submits (validated against the type's schema). */
  input?: unknown;
  /** What slots missed while nothing ran become: `latest` (the default) or `skip`. */
  missed?: MissedSlotPolicy;
}
