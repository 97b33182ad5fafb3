import type { ScheduleView } from '@stepwise/contract';
import type { ScheduleInfo } from '../engine';

// The views are the public contract's (shared with @stepwise/client).
export type { ScheduleListView, ScheduleView } from '@stepwise/contract';

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
