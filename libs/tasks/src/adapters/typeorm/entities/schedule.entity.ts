import { EntitySchema } from 'typeorm';
import type { ScheduleRecord } from '../../../model';
import { jsonColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_schedules`: a cron schedule. */
export type ScheduleRow = ScheduleRecord;

export const ScheduleEntity = new EntitySchema<ScheduleRow>({
  name: 'StepwiseSchedule',
  tableName: 'stepwise_schedules',
  columns: {
    name: { ...stringColumn('name'), primary: true },
    type: stringColumn('type'),
    cron: stringColumn('cron'),
    timezone: stringColumn('timezone'),
    input: jsonColumn('input'),
    owner: stringColumn('owner'),
    missed: stringColumn('missed'),
    paused: { name: 'paused', type: 'boolean' },
    declared: { name: 'declared', type: 'boolean' },
    lastSlotAt: timeColumn('last_slot_at', true),
    activeFrom: timeColumn('active_from'),
    createdAt: timeColumn('created_at'),
    updatedAt: timeColumn('updated_at'),
  },
});
