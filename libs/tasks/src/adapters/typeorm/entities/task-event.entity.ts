import { EntitySchema } from 'typeorm';
import type { TaskEventType, TaskStatus } from '../../../model';
import { int64, fractionColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_task_events`; `id` is the event's `seq`. */
export interface TaskEventRow {
  id: number;
  taskId: string;
  owner: string;
  type: TaskEventType;
  taskType: string;
  status: TaskStatus;
  progress: number;
  step: string | null;
  stepStatus: string | null;
  message: string | null;
  actor: string | null;
  at: number;
}

/**
 * The append-only event log, read back by SSE resumption (`Last-Event-ID`).
 * No foreign key to the task: an event may race a delete, and delete removes
 * the task's events itself.
 */
export const TaskEventEntity = new EntitySchema<TaskEventRow>({
  name: 'StepwiseTaskEvent',
  tableName: 'stepwise_task_events',
  columns: {
    // bigserial on PostgreSQL, INTEGER (64-bit rowid alias) on SQLite: see the migration.
    id: { name: 'id', type: 'bigint', primary: true, generated: 'increment', transformer: int64 },
    taskId: stringColumn('task_id'),
    owner: stringColumn('owner'),
    type: stringColumn('type'),
    taskType: stringColumn('task_type'),
    status: stringColumn('status'),
    progress: fractionColumn('progress'),
    step: stringColumn('step', true),
    stepStatus: stringColumn('step_status', true),
    message: { name: 'message', type: 'text', nullable: true },
    actor: stringColumn('actor', true),
    at: timeColumn('at'),
  },
});
