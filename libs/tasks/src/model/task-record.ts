import type { HeldBack } from './held-back';
import type { Placement, StepStatus, TaskStatus } from './task-status';
import type { WaitTarget } from './task-wait';

/** A serialisable error, as stored on a task or a step. */
export interface TaskError {
  name: string;
  message: string;
  /** Machine-readable reason, e.g. `TASK_TIMEOUT`, `STEP_TIMEOUT`, `CANCELLED`. */
  code?: string;
  /** The step that failed, when the error belongs to one. */
  step?: string;
}

/** A file the task produced, served by `GET /tasks/{id}/download`. */
export interface ResultFile {
  key: string;
  name: string;
  size: number;
  contentType: string;
  sha256?: string;
}

/** Checkpointed state of one step. */
export interface StepRecord {
  name: string;
  order: number;
  on: Placement;
  status: StepStatus;
  attempts: number;
  /**
   * Attempts that ignored their abort signal past the grace and were left
   * running: the step may have done its work, so compensation covers it.
   */
  abandoned: number;
  progress: number;
  output: unknown;
  error: TaskError | null;
  startedAt: number | null;
  finishedAt: number | null;
}

/**
 * The persisted aggregate. The database row is the source of truth; queue
 * messages only carry the id. Times are epoch milliseconds.
 */
export interface TaskRecord {
  id: string;
  type: string;
  queue: string;
  owner: string;
  status: TaskStatus;
  /** Placement of the next step to run: which consumers may claim the task. */
  placement: Placement;
  priority: number;
  input: unknown;
  output: unknown;
  resultFile: ResultFile | null;
  progress: number;
  message: string | null;
  error: TaskError | null;
  idempotencyKey: string | null;
  /**
   * Hash of what the submit asked for (type and input, see
   * `requestFingerprint`), kept with an idempotency key: the same key with
   * another request is refused rather than replayed. Null without a key, and
   * on tasks submitted before it was recorded (their key replays as before).
   */
  requestFingerprint: string | null;
  /**
   * At most one task of this type with this key is unfinished at a time: a
   * submit with a key an unfinished task holds answers with that task (or a
   * conflict). Free again once that task is terminal. Null for none.
   */
  singletonKey: string | null;
  callbackUrl: string | null;
  cancelRequested: boolean;
  pauseRequested: boolean;
  /** A delete of the unfinished task: carried out once it has ended (cancelled and compensated). */
  deleteRequested: boolean;
  /** Optimistic concurrency: bumped by every write. */
  version: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** The whole task's timeout from its first start, as declared when it was submitted; null for none. */
  timeoutMs: number | null;
  /**
   * What a `waiting` task waits for (see {@link WaitTarget}); null otherwise.
   * Still set when a claim takes the task after its wait's deadline (nothing
   * woke it): the step's wait then times out. Optional for records built
   * before it existed: absent reads as null.
   */
  waitingFor?: WaitTarget | null;
  /** The task whose step spawned this one, if any; absent reads as null. */
  parentId?: string | null;
  /** Earliest time the task may be claimed (retry backoff; a waiting task: its wait's deadline). */
  runAt: number;
  /**
   * Set when a claim found the due task over a limit of its type (and pushed
   * `runAt`); removed by the claim that starts it. Absent when not held.
   */
  heldBack?: HeldBack;
  deadlineAt: number | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * The W3C trace context (`traceparent` header) of the submit, when a
   * tracing SDK was recording it: every step attempt's span is its child,
   * whichever process runs it. Absent without one.
   */
  traceparent?: string;
  /** The `tracestate` that came with {@link traceparent}, if any. */
  tracestate?: string;
  steps: StepRecord[];
}

/**
 * A file received with a submit (a multipart part named `files`), already in
 * object storage. Multipart submits pass them to the task as `input.files`.
 */
export interface UploadedFile {
  key: string;
  /** Sanitised original name. */
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}
