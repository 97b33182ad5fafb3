import type { StepRecord, TaskEvent, TaskRecord } from '../../model';
import type { TaskEventRow } from './entities/task-event.entity';
import type { TaskStepRow } from './entities/task-step.entity';
import type { TaskRow } from './entities/task.entity';

// Entity rows <-> model, for the reads that go through TypeORM's entities (the
// transformers already turn bigint strings into numbers and JSON text into
// values; this file only reshapes). The hand-written hot path maps its raw
// rows in raw-rows.ts.

export function toTaskRecord(row: TaskRow, steps: TaskStepRow[]): TaskRecord {
  const { traceparent, tracestate, heldReason, heldSince, ...rest } = row;
  return {
    ...rest,
    ...traceContext(traceparent, tracestate),
    ...(heldReason && { heldBack: { reason: heldReason, since: Number(heldSince) } }),
    cancelRequested: Boolean(row.cancelRequested),
    pauseRequested: Boolean(row.pauseRequested),
    deleteRequested: Boolean(row.deleteRequested),
    steps: [...steps].sort((a, b) => a.order - b.order).map(toStepRecord),
  };
}

export function toStepRecord(row: TaskStepRow): StepRecord {
  return omit(row, ['taskId']);
}

export function toEventRow(event: TaskEvent): Omit<TaskEventRow, 'id'> {
  const { taskId, owner, type, taskType, status, progress, at } = event;
  const optional = {
    step: event.step ?? null,
    stepStatus: event.stepStatus ?? null,
    message: event.message ?? null,
    actor: event.actor ?? null,
  };
  return { taskId, owner, type, taskType, status, progress, at, ...optional };
}

/** Absent optional fields stay absent, as they were appended. */
export function toTaskEvent(row: TaskEventRow): TaskEvent {
  const { id, step, stepStatus, message, actor } = row;
  return {
    seq: id,
    ...omit(row, ['id', 'step', 'stepStatus', 'message', 'actor']),
    ...(step !== null && { step }),
    ...(stepStatus !== null && { stepStatus }),
    ...(message !== null && { message }),
    ...(actor !== null && actor !== undefined && { actor }),
  };
}

function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** A task's trace context as the record has it: absent, not null, when there is none. */
export function traceContext(
  traceparent: unknown,
  tracestate: unknown,
): Pick<TaskRecord, 'traceparent' | 'tracestate'> {
  if (typeof traceparent !== 'string') return {};
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}
