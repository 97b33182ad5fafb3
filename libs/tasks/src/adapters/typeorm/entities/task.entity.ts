import { EntitySchema } from 'typeorm';
import type { HeldBackReason, TaskRecord } from '../../../model';
import { fractionColumn, intColumn, jsonColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_tasks`: the task without its steps, which have their own table; its hold in two columns. */
export type TaskRow = Omit<TaskRecord, 'steps' | 'traceparent' | 'tracestate' | 'heldBack'> & {
  traceparent: string | null;
  tracestate: string | null;
  heldReason?: HeldBackReason | null;
  heldSince?: number | null;
};

/**
 * The task table. The schema itself is owned by the migration
 * (`synchronize` is off); this only maps columns to properties.
 */
export const TaskEntity = new EntitySchema<TaskRow>({
  name: 'StepwiseTask',
  tableName: 'stepwise_tasks',
  columns: {
    id: { ...stringColumn('id'), primary: true },
    type: stringColumn('type'),
    queue: stringColumn('queue'),
    owner: stringColumn('owner'),
    status: stringColumn('status'),
    placement: stringColumn('placement'),
    priority: intColumn('priority'),
    input: jsonColumn('input'),
    output: jsonColumn('output'),
    resultFile: jsonColumn('result_file'),
    progress: fractionColumn('progress'),
    message: { name: 'message', type: 'text', nullable: true },
    error: jsonColumn('error'),
    idempotencyKey: stringColumn('idempotency_key', true),
    requestFingerprint: stringColumn('request_fingerprint', true),
    singletonKey: stringColumn('singleton_key', true),
    callbackUrl: { name: 'callback_url', type: 'text', nullable: true },
    cancelRequested: { name: 'cancel_requested', type: 'boolean' },
    pauseRequested: { name: 'pause_requested', type: 'boolean' },
    deleteRequested: { name: 'delete_requested', type: 'boolean', default: false },
    version: intColumn('version'),
    leaseOwner: stringColumn('lease_owner', true),
    leaseExpiresAt: timeColumn('lease_expires_at', true),
    timeoutMs: timeColumn('timeout_ms', true),
    waitingFor: stringColumn('waiting_for', true),
    parentId: stringColumn('parent_id', true),
    runAt: timeColumn('run_at'),
    deadlineAt: timeColumn('deadline_at', true),
    createdAt: timeColumn('created_at'),
    updatedAt: timeColumn('updated_at'),
    startedAt: timeColumn('started_at', true),
    finishedAt: timeColumn('finished_at', true),
    traceparent: stringColumn('traceparent', true),
    tracestate: stringColumn('tracestate', true),
    heldReason: stringColumn('held_reason', true),
    heldSince: timeColumn('held_since', true),
  },
});
