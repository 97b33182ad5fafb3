import type { HeldBackReason, StepRecord, TaskEvent, TaskRecord } from '../../model';
import type { Claimed } from '../../ports';
import { traceContext } from './task-mapper';

// Rows of hand-written statements, as the drivers return them: snake_case
// columns, int8 as strings on PostgreSQL, booleans as 0/1 on SQLite, JSON as
// text (or, inside json_agg, as a JSON string).

type Raw = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : (value ?? null));
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

export function fromRawStep(raw: Raw): StepRecord {
  return {
    name: String(raw.name),
    order: num(raw.step_order),
    on: raw.placement as StepRecord['on'],
    status: raw.status as StepRecord['status'],
    attempts: num(raw.attempts),
    abandoned: num(raw.abandoned ?? 0),
    progress: num(raw.progress),
    output: json(raw.output),
    error: json(raw.error) as StepRecord['error'],
    startedAt: numOrNull(raw.started_at),
    finishedAt: numOrNull(raw.finished_at),
  };
}

export function fromRawTask(raw: Raw, steps: Raw[]): TaskRecord {
  return {
    id: String(raw.id),
    type: String(raw.type),
    queue: String(raw.queue),
    owner: String(raw.owner),
    status: raw.status as TaskRecord['status'],
    placement: raw.placement as TaskRecord['placement'],
    priority: num(raw.priority),
    input: json(raw.input),
    output: json(raw.output),
    resultFile: json(raw.result_file) as TaskRecord['resultFile'],
    progress: num(raw.progress),
    message: str(raw.message),
    error: json(raw.error) as TaskRecord['error'],
    idempotencyKey: str(raw.idempotency_key),
    requestFingerprint: str(raw.request_fingerprint),
    singletonKey: str(raw.singleton_key),
    callbackUrl: str(raw.callback_url),
    cancelRequested: Boolean(raw.cancel_requested),
    pauseRequested: Boolean(raw.pause_requested),
    deleteRequested: Boolean(raw.delete_requested),
    version: num(raw.version),
    leaseOwner: str(raw.lease_owner),
    leaseExpiresAt: numOrNull(raw.lease_expires_at),
    timeoutMs: numOrNull(raw.timeout_ms),
    waitingFor: str(raw.waiting_for) as TaskRecord['waitingFor'],
    parentId: str(raw.parent_id),
    runAt: num(raw.run_at),
    deadlineAt: numOrNull(raw.deadline_at),
    createdAt: num(raw.created_at),
    updatedAt: num(raw.updated_at),
    startedAt: numOrNull(raw.started_at),
    finishedAt: numOrNull(raw.finished_at),
    ...traceContext(raw.traceparent, raw.tracestate),
    ...(raw.held_reason ? { heldBack: { reason: raw.held_reason as HeldBackReason, since: num(raw.held_since) } } : {}),
    steps: steps.map(fromRawStep).sort((a, b) => a.order - b.order),
  };
}

/** JSON text of a value for a `text` column; null stays SQL NULL. */
export const jsonParam = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** The claim's answer: the task, and the event of the step it started (from the rows the statement returned). */
export function claimed(task: TaskRecord, step: Raw | null, event: Raw | null): Claimed {
  if (!step || !event) return { task, started: null };
  const { id: taskId, owner, type: taskType, status, progress } = task;
  const at = Number(event.at);
  const started: TaskEvent = {
    ...{ seq: Number(event.id), taskId, owner, taskType, status, progress, at },
    ...{ type: 'task.step', step: String(step.name), stepStatus: 'running' },
  };
  return { task, started };
}
