import type { TaskAuditEntryView } from '@stepwise/contract';
import type { TaskEvent } from '../model';

export type { TaskAuditEntryView, TaskAuditView } from '@stepwise/contract';

/** One event of the log as `GET /tasks/{id}/audit` shows it: no owner, times in ISO 8601. */
export function toAuditEntryView(event: TaskEvent & { seq: number }): TaskAuditEntryView {
  return {
    seq: event.seq,
    event: event.type,
    status: event.status,
    progress: event.progress,
    ...(event.step !== undefined ? { step: event.step } : {}),
    ...(event.stepStatus !== undefined ? { stepStatus: event.stepStatus } : {}),
    ...(event.message !== undefined ? { message: event.message } : {}),
    ...(event.actor !== undefined ? { actor: event.actor } : {}),
    at: new Date(event.at).toISOString(),
  };
}
