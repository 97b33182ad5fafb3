/**
 * The shapes the client exchanges with a Stepwise server. The statuses, event
 * names and REST views are the server's own contract (`@stepwise/contract`),
 * built into this package: nothing of `@stepwise/tasks` is needed.
 */
import {
  isTerminalEventType,
  type PublicEventType,
  type TaskEventView,
  type TaskListView,
  type TaskResultView,
  type TaskStatus,
  type TaskView,
  type TerminalStatus,
} from '@stepwise/contract';

export {
  HELD_BACK_REASONS,
  PUBLIC_EVENT_TYPES,
  TASK_EVENT_TYPES,
  TASK_STATUSES,
  TASKS_NAMESPACE,
  TERMINAL_EVENT_TYPES,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type ChildTaskView,
  type ErrorBody,
  type FieldIssueView,
  type HeldBackReason,
  type HeldBackView,
  type Placement,
  type ResultFileView,
  type StepStatus,
  type StepView,
  type TaskAuditEntryView,
  type TaskAuditView,
  type TaskErrorView,
  type TaskEventView,
  type TaskLinks,
  type TaskListView,
  type TaskResultView,
  type TaskStatus,
  type TaskView,
  type TerminalEventType,
  type TerminalStatus,
  type DeleteFinishedView,
  type MissedSlotPolicy,
  type RetryFailedView,
  type ScheduleInput,
  type ScheduleListView,
  type ScheduleView,
  type TaskStatsView,
} from '@stepwise/contract';

/**
 * Names of the events pushed over Socket.IO (namespace `/tasks`): the
 * contract's six, and the pause and resume of a task.
 */
export type TaskEventType = PublicEventType;

/** Whether an event ends its task's stream. */
export function isTerminalEvent(event: Pick<TaskEvent, 'event'>): boolean {
  return isTerminalEventType(event.event);
}

/**
 * One event of a task, as pushed over Socket.IO. A server may add fields,
 * and event names (`string & {}` keeps them).
 */
export interface TaskEvent extends Omit<TaskEventView, 'event'> {
  /** The event's name (the Socket.IO event), e.g. `task.progress`. */
  event: TaskEventType | (string & {});
  /**
   * `true` on a terminal event the client derived from a subscription's
   * snapshot (the task was already finished, or finished while the
   * connection was down) rather than received.
   */
  synthetic?: true;
}

/** `GET /tasks/{id}/result` with a typed `output`. */
export interface TaskResult<T = unknown> extends Omit<TaskResultView, 'output'> {
  output: T;
}

/** A page of `GET /tasks`. */
export interface TaskPage extends TaskListView {
  /** Every task matching the query (the `X-Total-Count` header), when the server sent it. */
  total: number | undefined;
}

/** Filters and paging of {@link StepwiseClient.list}. */
export interface ListQuery {
  type?: string;
  status?: TaskStatus;
  /** 1..100, 20 by default. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Options every call accepts. */
export interface RequestOptions {
  /** Aborts the HTTP request. */
  signal?: AbortSignal;
  /** Extra headers for this call only; they win over the client's. */
  headers?: Record<string, string>;
}

/**
 * A file sent with a submit, as a multipart part named `files`. A `Blob`
 * (in Node, `fs.openAsBlob(path)` reads the file as it is sent) or bytes go
 * through `FormData`; a stream is sent as it is read (Node's `fetch` with
 * `duplex: 'half'`; browsers only support streamed request bodies over
 * HTTP/2).
 */
export interface FileInput {
  /** The file name the server records (it sanitises it). */
  name: string;
  data: Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Defaults to the Blob's type, else `application/octet-stream`. */
  contentType?: string;
}

/** Options of {@link StepwiseClient.submit}. */
export interface SubmitOptions extends RequestOptions {
  /** Sent as multipart/form-data parts named `files` (the task type must accept files). */
  files?: FileInput[];
  /** `Idempotency-Key`: submitting again with the same key answers the same task. */
  idempotencyKey?: string;
  /** Absolute http(s) URL the server notifies by webhook when the task ends. */
  callbackUrl?: string;
  /**
   * `?singletonKey=`: at most one unfinished task of the type with this key.
   * While one holds it, the answer is that task (`submission.singletonReplayed`),
   * or a 409 with `singleton: 'conflict'`.
   */
  singletonKey?: string;
  /** `?singleton=`: what a held `singletonKey` answers, the holder (the default) or a 409. */
  singleton?: 'existing' | 'conflict';
  /**
   * `?runAt=`: the task stays `pending` until then (at most a year ahead; a
   * time past runs it now). Not with {@link delayMs}.
   */
  runAt?: Date | string;
  /** `?delayMs=`: the task stays `pending` this long. Not with {@link runAt}. */
  delayMs?: number;
}

/** Which failed tasks {@link StepwiseClient.retryFailed} re-opens; every field optional. */
export interface RetryFailedFilter {
  type?: string;
  /** Failed at or after this time. */
  finishedAfter?: Date | string;
  /** Failed strictly before this time. */
  finishedBefore?: Date | string;
}

/** Which finished tasks {@link StepwiseClient.deleteFinished} deletes; every field optional. */
export interface DeleteFinishedFilter {
  /** Among `completed`, `failed`, `cancelled`; all three by default. */
  status?: TerminalStatus | readonly TerminalStatus[];
  type?: string;
  /** Finished strictly before this time. */
  finishedBefore?: Date | string;
}

/**
 * How {@link TaskHandle.done} polls `GET /tasks/{id}` besides listening to
 * events. `Infinity` turns a kind of polling off.
 */
export interface PollOptions {
  /** Period while the task's Socket.IO subscription is not live (not connected, not yet acknowledged, refused). 2000 ms by default. */
  intervalMs?: number;
  /** Period while the subscription is live: a safety net against a lost event. 30000 ms by default. */
  whileLiveMs?: number;
}

/** Options of {@link TaskHandle.done}. */
export interface DoneOptions {
  /** Stops waiting: `done()` rejects with the signal's reason. The task goes on. */
  signal?: AbortSignal;
  /** Overrides the client's {@link PollOptions} for this call. */
  poll?: PollOptions;
}

/** Options of {@link TaskHandle.download}. */
export interface DownloadOptions extends RequestOptions {
  /** A `Range` header value, e.g. `bytes=0-1023`; the answer is then a `206`. */
  range?: string;
}

/** What the server answered to the submit that created a {@link TaskHandle}. */
export interface Submission {
  /** The task as the `202` described it. */
  task: TaskView;
  /** `true` when an `Idempotency-Key` matched an earlier submit: this is that task. */
  replayed: boolean;
  /** `true` when an unfinished task held the `singletonKey` (a `200`, not a `202`): this is that task. */
  singletonReplayed: boolean;
}
