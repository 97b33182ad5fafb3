/**
 * The JSON the REST API answers with, and the payload of live events. Plain
 * types, so that servers and clients share them. Times are ISO 8601 strings
 * (UTC, milliseconds), or null when the moment has not come.
 */
import type { PublicEventType, TaskEventType } from './events';
import type { HeldBackReason } from './held-back';
import type { Placement, StepStatus, TaskStatus } from './statuses';

/** Why a task or a step failed. */
export interface TaskErrorView {
  name: string;
  message: string;
  /** Machine-readable reason, e.g. `TASK_TIMEOUT`, `CANCELLED`. */
  code?: string;
  /** The step that failed. */
  step?: string;
}

/** One step of a task, in {@link TaskView.steps}. */
export interface StepView {
  name: string;
  on: Placement;
  status: StepStatus;
  attempts: number;
  /** 0..1 */
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: TaskErrorView | null;
}

/** Related resources; `result` and `download` appear once they can be fetched. */
export interface TaskLinks {
  self: string;
  /** The task's events as `text/event-stream`, resumable with `Last-Event-ID`. */
  events: string;
  /** The task's whole event log as JSON, with who asked for each change (`GET /tasks/{id}/audit`). */
  audit: string;
  result?: string;
  download?: string;
}

/** `GET /tasks/{id}`: the status of a task. */
export interface TaskView {
  id: string;
  type: string;
  status: TaskStatus;
  /** 0..1 */
  progress: number;
  message: string | null;
  steps: StepView[];
  createdAt: string;
  /**
   * When a pending task becomes due, if later than its creation (a delayed
   * submit, a retry's backoff); for a waiting task, its wait's deadline (none
   * for a wait without a timeout).
   */
  runAt?: string;
  /** What a `waiting` task waits for: `signal:<name>` or `children`. */
  waitingFor?: string;
  /** The task that spawned this one (`ctx.spawn`), if any. */
  parentId?: string;
  /** The tasks its steps spawned, oldest first; only in `GET /tasks/{id}`, and only when it has any. */
  children?: ChildTaskView[];
  /** The singleton key it was submitted with, if any: no other unfinished task of its type has it. */
  singletonKey?: string;
  /** A pending task a limit of its type holds back: why, and since when. Absent otherwise. */
  heldBack?: HeldBackView;
  startedAt: string | null;
  finishedAt: string | null;
  error: TaskErrorView | null;
  links: TaskLinks;
}

/** A child task in its parent's view. */
export interface ChildTaskView {
  id: string;
  type: string;
  status: TaskStatus;
}

/** Why a pending task waits although it is due: a cluster-wide limit of its type ({@link TaskView.heldBack}). */
export interface HeldBackView {
  reason: HeldBackReason;
  /** When the limit first held it back (ISO 8601). */
  since: string;
}

/** The file a completed task produced. */
export interface ResultFileView {
  name: string;
  size: number;
  contentType: string;
  downloadUrl: string;
  /**
   * With `presignDownloads`: a time-limited URL that reads the file straight
   * from the storage (S3), bypassing the API. Treat it as a secret.
   */
  presignedUrl?: string;
}

/** `GET /tasks/{id}/result`, once the task completed. */
export interface TaskResultView {
  id: string;
  type: string;
  status: 'completed';
  output: unknown;
  file?: ResultFileView;
}

/** `GET /tasks`: newest first; pass `nextCursor` back as `cursor` for the next page. */
export interface TaskListView {
  items: TaskView[];
  nextCursor: string | null;
}

/** Every error answer. `details` lists invalid fields, or the task's current status on a 409. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** One invalid field of a 400 answer's `details`. */
export interface FieldIssueView {
  field: string;
  message: string;
}

/**
 * The payload of a live event, on Socket.IO (the event name is the Socket.IO
 * event) and in SSE `data:` lines (the event name is the `event:` field).
 *
 * `type` is the task's type (`create-zip`), as in the REST view of a task;
 * the event's own name is repeated in `event`, for catch-all listeners.
 */
export interface TaskEventView {
  taskId: string;
  /** The task's type, e.g. `countdown`. */
  type: string;
  /** The event's name, e.g. `task.progress`. */
  event: PublicEventType;
  /** The task's status once the event happened. */
  status: TaskStatus;
  /** The task's overall progress, 0..1. */
  progress: number;
  /** The step concerned (`task.step`, `task.progress`). */
  step?: string;
  /** `task.step` only: the step's new status (`running`, `completed`, `failed`, `compensated`...). */
  stepStatus?: string;
  /** The latest progress message or the task's message. */
  message?: string;
  /** When the event happened, ISO 8601 (UTC, milliseconds), like every time of the REST API. */
  at: string;
  /** Position in the task's event log: the SSE `id`, and what `Last-Event-ID` resumes after. */
  seq?: number;
}

/** `GET /tasks/stats`: the caller's tasks (every owner's for an administrator). */
export interface TaskStatsView {
  total: number;
  byStatus: Partial<Record<TaskStatus, number>>;
  /** Counts by type, then by status. */
  byType: Record<string, Partial<Record<TaskStatus, number>>>;
  /** How long the oldest pending task has waited; null when nothing is pending. */
  oldestPendingAgeMs: number | null;
}

/** `POST /tasks/retry`: how many failed tasks were re-opened. */
export interface RetryFailedView {
  retried: number;
}

/** `DELETE /tasks?...`: how many finished tasks were deleted. */
export interface DeleteFinishedView {
  deleted: number;
}

/**
 * One entry of `GET /tasks/{id}/audit`: an event of the task's log, public or
 * audit-only, with who caused it.
 */
export interface TaskAuditEntryView {
  /** Position in the task's log; `?after=` resumes after it. */
  seq: number;
  /** The event's name, e.g. `task.cancel_requested`. */
  event: TaskEventType;
  /** The task's status once the event happened. */
  status: TaskStatus;
  /** 0..1 */
  progress: number;
  step?: string;
  stepStatus?: string;
  message?: string;
  /**
   * Who asked: the owner (or principal) of the request, `system` for
   * application code, `schedule:<name>` for a schedule's submit. Absent for
   * what the engine does on its own (steps, retries, completion).
   */
  actor?: string;
  /** ISO 8601. */
  at: string;
}

/** `GET /tasks/{id}/audit`: a page of the task's log, oldest first. */
export interface TaskAuditView {
  items: TaskAuditEntryView[];
  /** The `after` of the next page; null when this page ends the log as it is now. */
  nextAfter: number | null;
}
