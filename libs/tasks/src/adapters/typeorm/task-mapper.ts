import type { QueryDeepPartialEntity } from 'typeorm';
import type { StepRecord, TaskEvent, TaskRecord } from '../../model';
import type { NewTask } from '../../ports';
import type { TaskEventRow } from './entities/task-event.entity';
import type { TaskStepRow } from './entities/task-step.entity';
import type { TaskRow } from './entities/task.entity';

// Rows <-> model. The entities' transformers already turn bigint strings into
// numbers and JSON text into values; this file only reshapes. TypeORM's write
// types reject `unknown` fields (input, output) although the JSON transformer
// takes any value: hence the casts to its partial-entity type.

export function toTaskRecord(row: TaskRow, steps: TaskStepRow[]): TaskRecord {
  return {
    ...row,
    cancelRequested: Boolean(row.cancelRequested),
    pauseRequested: Boolean(row.pauseRequested),
    steps: [...steps].sort((a, b) => a.order - b.order).map(toStepRecord),
  };
}

export function toStepRecord(row: TaskStepRow): StepRecord {
  return omit(row, ['taskId']);
}

/** The row of a new task: version 1, nobody holds it. */
export function toNewTaskRow(task: NewTask): QueryDeepPartialEntity<TaskRow> {
  const row: TaskRow = { ...omit(task, ['steps']), version: 1, leaseOwner: null, leaseExpiresAt: null };
  return row as QueryDeepPartialEntity<TaskRow>;
}

export function toStepRow(taskId: string, step: StepRecord): QueryDeepPartialEntity<TaskStepRow> {
  const row: TaskStepRow = { ...step, taskId };
  return row as QueryDeepPartialEntity<TaskStepRow>;
}

/**
 * What `save` writes: everything the lease holder owns. Not the identity (it
 * never changes), not the flags other processes set, not the lease (the caller
 * decides), not the version (SQL bumps it), not the steps (their own table).
 */
export function toSavedColumns(task: TaskRecord): QueryDeepPartialEntity<TaskRow> {
  const identity = ['id', 'type', 'owner', 'idempotencyKey', 'createdAt'] as const;
  const others = ['cancelRequested', 'pauseRequested', 'leaseOwner', 'leaseExpiresAt', 'version', 'steps'] as const;
  return omit(task, [...identity, ...others]) as QueryDeepPartialEntity<TaskRow>;
}

export function toEventRow(event: TaskEvent): Omit<TaskEventRow, 'id'> {
  const { taskId, owner, type, taskType, status, progress, at } = event;
  const optional = { step: event.step ?? null, stepStatus: event.stepStatus ?? null, message: event.message ?? null };
  return { taskId, owner, type, taskType, status, progress, at, ...optional };
}

/** Absent optional fields stay absent, as they were appended. */
export function toTaskEvent(row: TaskEventRow): TaskEvent {
  const { id, step, stepStatus, message } = row;
  return {
    seq: id,
    ...omit(row, ['id', 'step', 'stepStatus', 'message']),
    ...(step !== null && { step }),
    ...(stepStatus !== null && { stepStatus }),
    ...(message !== null && { message }),
  };
}

function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}
