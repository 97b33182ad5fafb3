import type { ScheduleInfo } from '../engine';
import type { MissedSlotPolicy } from '../model';

/** A schedule as the REST API answers it (times in ISO 8601). */
export interface ScheduleView {
  name: string;
  /** The task type each slot submits. */
  type: string;
  cron: string;
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

/** Collection answer of `GET /schedules`. */
export interface ScheduleListView {
  items: ScheduleView[];
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toScheduleView(info: ScheduleInfo, base: string): ScheduleView {
  return {
    name: info.name,
    type: info.type,
    cron: info.cron,
    timezone: info.timezone,
    input: info.input,
    missed: info.missed,
    paused: info.paused,
    declared: info.declared,
    lastSlotAt: isoOrNull(info.lastSlotAt),
    nextRunAt: isoOrNull(info.nextRunAt),
    createdAt: new Date(info.createdAt).toISOString(),
    updatedAt: new Date(info.updatedAt).toISOString(),
    links: { self: `${base}/${encodeURIComponent(info.name)}` },
  };
}
