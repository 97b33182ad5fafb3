import type { HeldBack, Placement, TaskEvent, TaskRecord, TaskStatus, TypeLimits } from '../model';
import type { NewWebhookDelivery } from './new-webhook-delivery';
import type { ChildTask, NewSignal, SignalDelivered, SuspendOutcome, SuspendRequest } from './task-signals';

/** Fields of a task at creation; the store fills versions and times. */
export type NewTask = Omit<TaskRecord, 'version' | 'leaseOwner' | 'leaseExpiresAt'>;

export interface ClaimRequest {
  taskId: string;
  workerId: string;
  leaseMs: number;
  /**
   * The calling process's clock. Only a store without a clock of its own uses
   * it (memory; SQLite, which is one process's database): PostgreSQL checks
   * leases and due times on its own clock, which every process shares.
   */
  now: number;
  /** Only tasks of these types are claimable (the ones this process can run). */
  types?: readonly string[];
  /**
   * Also start the task's next step in the same statement when it is plainly
   * ready to run here: not compensating, no cancel or pause requested, not
   * past its deadline, and its first unfinished step is pending (or was left
   * running by a dead worker) and placed on `placement`. The step becomes
   * `running` with one more attempt, and its `task.step` event is appended.
   */
  start?: { placement: Placement };
}

/** A claim under the cluster-wide limits of the types that declare some ({@link TaskStore.claimWithinLimits}). */
export interface LimitedClaimRequest extends ClaimRequest {
  /** The limits of the types that declare some, by type. */
  limits: Readonly<Record<string, TypeLimits>>;
  /** How far a task held back by a concurrency limit is pushed (a slot freeing wakes it sooner). */
  holdMs?: number;
  /**
   * The most tasks of one owner running at once, of every type (the module's
   * `fairness.perOwner`): when set, a task of any type is claimed under it,
   * counted under a per-owner lock, and held back (`owner-concurrency`) past it.
   */
  ownerMax?: number;
}

/**
 * A claim a limit refused: the task stays pending, due again at `retryAt`
 * (the store's clock): the caller dispatches it again then.
 */
export interface Held {
  task: null;
  held: HeldBack;
  retryAt: number;
  due: DueTask;
}

/** Held-back tasks to make due now: a task of `type` owned by `owner` ended its run. */
export interface HeldQuery {
  type: string;
  owner: string;
  /** Also the owner's tasks of every type held by their owner's limit (`fairness.perOwner` is set). */
  acrossTypes?: boolean;
  now: number;
  limit: number;
}

/** One task of a {@link TaskStore.createMany}: its `task.created` event and that event's deliveries go with it. */
export interface NewTaskWrite {
  task: NewTask;
  event?: TaskEvent;
  deliveries?: readonly NewWebhookDelivery[];
}

/** A won claim: the task as claimed, and the `task.step` event of the step the claim started, if it did. */
export interface Claimed {
  task: TaskRecord;
  started: TaskEvent | null;
}

export interface ListQuery {
  /** Whose tasks: one owner's, or every owner's when undefined (an administrator's list). */
  owner: string | undefined;
  type?: string;
  status?: TaskStatus;
  limit: number;
  /** Opaque cursor returned by a previous page. */
  cursor?: string;
}

export interface ListPage {
  items: TaskRecord[];
  total: number;
  nextCursor: string | null;
}

/** A task that needs a (new) dispatch: never dispatched, lost, or its lease expired. */
export interface DueTask {
  id: string;
  queue: string;
  placement: Placement;
  priority: number;
  /** Row version: a re-dispatch keyed by it is a new queue job, not the stuck job of a dead worker. */
  version: number;
}

/** Where one of `findDue`'s keyset scans stopped: the sort key of the last task it returned. */
export interface DueKey {
  /** `leaseExpiresAt` in the scan of expired leases, `runAt` in the scan of pending tasks. */
  at: number;
  id: string;
}

/** Where each scan of `findDue` resumes; null starts it from the beginning. */
export interface DueCursor {
  expired: DueKey | null;
  /** Cancels are scanned by id alone. */
  cancels: string | null;
  pending: DueKey | null;
  /** Absent (a cursor of an older version) starts the scan from the beginning. */
  waiting?: DueKey | null;
}

export interface DueQuery {
  now: number;
  /** A pending task is due again once its `runAt` is this far in the past (its own wake-up had that long). */
  pendingGraceMs: number;
  /** Most tasks per reason: each reason is its own query with its own limit. */
  limit: number;
  /** The `next` of the previous page; absent, every scan starts from the beginning. */
  after?: DueCursor;
}

/**
 * The tasks to dispatch again, by reason, in the order they are served. A
 * task may be under two reasons (a cancel requested on an overdue pending task).
 */
export interface DuePage {
  /** Running or compensating with an expired lease (its worker died): by (leaseExpiresAt, id). */
  expired: DueTask[];
  /** Cancel requested, not terminal, no live lease: by id. */
  cancels: DueTask[];
  /** Pending and due for longer than the grace: by (runAt, id). */
  pending: DueTask[];
  /** Waiting past its wait's deadline by more than the grace (nothing woke it): by (runAt, id). */
  waiting: DueTask[];
  /**
   * Per reason: after its last task when more remain, else null (the next
   * pass starts over), so successive passes cover a backlog of any size.
   */
  next: DueCursor;
}

export interface LeaseState {
  /** False when the lease was lost (taken over, or the task deleted). */
  held: boolean;
  cancelRequested: boolean;
  pauseRequested: boolean;
  deleteRequested: boolean;
}

/** What a lease holder's write changes besides the task's own columns. */
export interface TaskChange {
  /** Names of the step records to write with it. */
  steps?: readonly string[];
  /** Events to append in the same transaction, in order; each gets its `seq`. */
  events?: readonly TaskEvent[];
  /** The webhook deliveries announcing those events, added to the outbox in the same transaction. */
  deliveries?: readonly NewWebhookDelivery[];
  /** Makes the task due this many ms from now, on the store's clock (a retry's backoff, a hand-over). */
  runAfterMs?: number;
  /** Writes only while a pause is still requested (the runner's pause: a resume may have cleared it). */
  whilePauseRequested?: boolean;
}

/** A task's status before and after a pause or resume request. */
export interface PauseOutcome {
  before: TaskStatus;
  after: TaskStatus;
}

/** Whether a pause request (`paused`) or a resume moved the status: its event is then due. */
export function pauseMoved(paused: boolean, { before, after }: PauseOutcome): boolean {
  return paused ? before !== 'paused' && after === 'paused' : before === 'paused';
}

/** A request to stop an unfinished task: cancel it, and/or delete it once it has ended. */
export interface StopRequest {
  cancel: boolean;
  delete: boolean;
  /** Its `task.cancel_requested`: appended (its `seq` set) only when this request newly sets the cancel. */
  event?: TaskEvent;
  /** The webhook deliveries announcing `event`: added with it, in its transaction, when it is appended. */
  deliveries?: readonly NewWebhookDelivery[];
}

/** A progress report: it changes these columns and nothing else. */
export interface ProgressChange {
  progress: number;
  message: string | null;
  step: string;
  stepProgress: number;
  updatedAt: number;
}

/** Re-opening a failed task: what the engine computed of it, and the event that records it. */
export interface RetryRequest {
  now: number;
  /** Placement of the first step that will run again. */
  placement: Placement;
  /** Overall progress of the steps kept. */
  progress: number;
  event?: TaskEvent;
  deliveries?: readonly NewWebhookDelivery[];
}

/** Whose tasks to count: one owner's, or every owner's (operators). */
export interface StatsQuery {
  owner?: string;
}

/** Task counts by type and status, and the oldest pending task's creation time (null when none). */
export interface TaskStats {
  counts: Array<{ type: string; status: TaskStatus; count: number }>;
  oldestPendingAt: number | null;
}

/** Finished tasks to clean up, oldest first; every filter optional. */
export interface FinishedQuery {
  owner?: string;
  type?: string;
  /** Terminal statuses only (a running task is never selected). Default: all three. */
  statuses?: readonly TaskStatus[];
  /** Finished strictly before this time. */
  finishedBefore?: number;
  /** Finished at or after this time. */
  finishedAfter?: number;
  /** Where the previous page stopped: only tasks after it in (finishedAt, id) order. */
  after?: FinishedTask;
  limit: number;
}

/** A finished task as {@link TaskStore.findFinished} answers it: its id and its place in the order. */
export interface FinishedTask {
  id: string;
  finishedAt: number;
}

/**
 * Persistence port. Every mutation that follows a claim is conditional on the
 * lease owner, so a worker that lost its lease can never overwrite the winner.
 */
export interface TaskStore {
  /**
   * Inserts a task with its steps, `event` (its `task.created`, whose `seq`
   * is set) and the deliveries announcing it in one transaction, or returns
   * the existing one with the same owner + idempotency key, or else the
   * unfinished one of the same type with the same singleton key (and writes
   * nothing). The keys are unique in the database, not behind a lock: of
   * concurrent creates with one key, exactly one is created.
   */
  create(
    task: NewTask,
    event?: TaskEvent,
    deliveries?: readonly NewWebhookDelivery[],
  ): Promise<{ task: TaskRecord; created: boolean }>;
  /**
   * Inserts many tasks, each with its steps, its event (whose `seq` is set)
   * and that event's deliveries, in one transaction: all of them or none. No
   * idempotency lookup: an id, idempotency key or singleton key already taken
   * (or taken twice in the batch) fails the whole write. Answers the tasks in order.
   */
  createMany(tasks: readonly NewTaskWrite[]): Promise<TaskRecord[]>;
  /**
   * {@link create} for an owner under the `activeTasks` quota: counts the
   * owner's tasks that are not terminal and inserts only when there are fewer
   * than `maxActive`, as one step (PostgreSQL: under a per-owner advisory
   * lock, in the create's transaction), so that concurrent submits of one
   * owner never overshoot. `{ active }` when refused (nothing written).
   * Optional for stores of older versions (the count then goes before the create).
   */
  createWithinQuota?(
    task: NewTask,
    maxActive: number,
    event?: TaskEvent,
    deliveries?: readonly NewWebhookDelivery[],
  ): Promise<{ task: TaskRecord; created: boolean } | { task: null; active: number }>;
  get(id: string): Promise<TaskRecord | null>;
  findByIdempotencyKey(owner: string, key: string): Promise<TaskRecord | null>;
  list(query: ListQuery): Promise<ListPage>;
  /**
   * Takes the lease in one conditional statement if the task is not
   * terminal, nobody holds a live lease, and it is due (`runAt <= now`, not
   * paused) or a cancel was requested; sets its start time and deadline on
   * its first claim; with `start`, starts its next step too. Null when it is
   * not claimable (another claimant won).
   */
  claim(request: ClaimRequest): Promise<Claimed | null>;
  /**
   * {@link claim} under the limits of the types that declare some, and under
   * `ownerMax` when set. Without `ownerMax`, a task of any other type is
   * claimed by the plain claim, unchanged. A task of a
   * limited type is claimed only within its limits, counted in the database
   * under a per-type lock (two workers never both pass a `max: 1`): else it
   * is held back, in the same transaction (stays pending, `runAt` pushed, the
   * reason and its start recorded) and the answer is {@link Held}. The claim
   * of a rate-limited type is recorded for the window. A requested cancel is
   * claimed whatever the limits (it only winds the task down). Optional for
   * stores of older versions; declared limits need it (and `wakeHeld`).
   */
  claimWithinLimits?(request: LimitedClaimRequest): Promise<Claimed | Held | null>;
  /**
   * Makes the oldest tasks of `type` held back by a limit due now (those of
   * other owners only when a type-wide limit held them, not their owner's
   * own; with `acrossTypes`, also the owner's of every type held by their
   * owner's limit), in one conditional statement, and answers them to dispatch: a slot
   * of the type freed. Bumps their version (a new wake-up, not a stale one).
   */
  wakeHeld?(query: HeldQuery): Promise<DueTask[]>;
  /** Extends a held lease to `leaseMs` from now (the store's clock) and reports the flags set by other processes. */
  renewLease(taskId: string, workerId: string, leaseMs: number, now: number): Promise<LeaseState>;
  /**
   * Writes the task (and the named steps) if `workerId` still holds the lease.
   * Returns false when it does not: the caller must stop working on the task.
   * Never writes `cancelRequested`/`pauseRequested` (other processes set them)
   * and never moves a held lease's expiry (heartbeats do); clears the lease
   * when `task.leaseOwner` is null. Never rewrites the input. The change's
   * events are appended to the log, and its deliveries to the webhook outbox,
   * in the same transaction (the events' `seq` is set): a crash or an error
   * never leaves a state change without its event or its deliveries, nor
   * either without its state. A child task's terminal write also wakes its
   * parent in the same transaction when the parent waits for its children and
   * none is unfinished any more (one conditional statement, on the parent's
   * locked row).
   */
  save(task: TaskRecord, workerId: string, change?: TaskChange): Promise<boolean>;
  /**
   * Writes a progress report (with its event and that event's deliveries, in
   * one transaction) if `workerId` holds the lease; touches nothing else.
   */
  saveProgress(
    taskId: string,
    workerId: string,
    change: ProgressChange,
    event?: TaskEvent,
    deliveries?: readonly NewWebhookDelivery[],
  ): Promise<boolean>;
  /**
   * Sets (`paused`) or clears the pause request in one conditional statement,
   * whatever runs meanwhile: pausing also pauses a pending task nobody holds;
   * resuming also makes a paused task pending and due now. `event`
   * (`task.paused` or `task.resumed`) is appended in the same transaction
   * when the status moved (its `seq` set), with `deliveries` (its webhook
   * deliveries). Null when the task is unknown or terminal.
   */
  setPaused(
    taskId: string,
    paused: boolean,
    now: number,
    event?: TaskEvent,
    deliveries?: readonly NewWebhookDelivery[],
  ): Promise<PauseOutcome | null>;
  /** Sets request flags that the lease holder reads (cancel). */
  setFlags(taskId: string, flags: { cancelRequested?: boolean; pauseRequested?: boolean }): Promise<void>;
  /**
   * Sets the cancel and/or delete request of an unfinished task in one
   * conditional statement, with its event when the cancel is new. Null when
   * the task is unknown or already terminal; else whether this request set
   * the cancel (false when it was requested before, or not asked for).
   */
  requestStop(taskId: string, request: StopRequest): Promise<{ cancelled: boolean } | null>;
  /**
   * Re-opens a `failed` task in one conditional statement: its `completed`
   * steps keep their outputs, every other step (failed, compensated, never
   * run) becomes pending with its attempts reset; the task becomes pending,
   * due now, with no error, lease, start or deadline; `event` (its
   * `task.retried`) is appended with it. False when the task is not failed
   * (anymore): another retry won; or when another unfinished task of its
   * type holds its singleton key.
   */
  retryFailed(taskId: string, request: RetryRequest): Promise<boolean>;
  /** Counts for `GET /tasks/stats`. */
  stats(query: StatsQuery): Promise<TaskStats>;
  /**
   * How many of `owner`'s tasks are not terminal (pending, running, paused,
   * compensating...): one indexed count, what the `activeTasks` quota reads.
   * Optional for stores of older versions; quotas need it.
   */
  countActive?(owner: string): Promise<number>;
  /**
   * Suspends the step the lease holder runs: in one short transaction that
   * holds the task's row, unless what it would wait for is already there, the
   * task becomes `waiting` for `request.waitingFor`, due at the wait's
   * deadline (`runAfterMs` on the store's clock), its lease released, with
   * the named steps, its events and their deliveries. A signal or a child
   * that ends meanwhile either sees it waiting (and wakes it) or is seen here:
   * `ready` when a signal it waits for is there, or when it waits for its
   * children and none is unfinished.
   */
  suspend(task: TaskRecord, workerId: string, request: SuspendRequest): Promise<SuspendOutcome>;
  /**
   * The oldest signal `name` of the task not taken by another step, now
   * taken by `step` (taking it again from the same step answers it again: a
   * step that runs again sees what it saw). Null when there is none.
   */
  takeSignal(taskId: string, name: string, step: string): Promise<{ payload: unknown } | null>;
  /**
   * Stores a signal of an unfinished task and, in the same transaction, wakes
   * the task when it waits for that signal (pending, due now, waiting for
   * nothing): one conditional statement. Its event and deliveries go with it.
   * Null when the task is unknown or terminal (nothing stored).
   */
  deliverSignal(taskId: string, signal: NewSignal): Promise<SignalDelivered | null>;
  /** The tasks spawned by `parentId`'s steps, oldest first (by the index on `parent_id`). */
  findChildren(parentId: string): Promise<ChildTask[]>;
  /**
   * The sum of the sizes of `owner`'s result files (of the tasks still
   * stored): part of what the `storedBytes` quota reads. Optional as `countActive`.
   */
  resultBytes?(owner: string): Promise<number>;
  /**
   * Finished (terminal) tasks matching `query`, by (finishedAt, id): bulk
   * cleanup and retries, a page at a time (`after` the last of a page).
   */
  findFinished(query: FinishedQuery): Promise<FinishedTask[]>;
  /** Ids of terminal tasks whose delete was requested: deletes a crash or a race left undone. */
  findDeleteRequested(limit: number): Promise<string[]>;
  /**
   * Deletes the task with its steps, its events, its signals and its webhook deliveries,
   * in one transaction. Only the pending deliveries of terminal events stay,
   * marked `taskDeleted` (the receiver may be waiting for them): the outbox
   * removes each once it is settled.
   */
  delete(taskId: string): Promise<void>;
  /**
   * Tasks to dispatch again, one indexed keyset scan per reason: expired
   * leases, unheld cancels, pending tasks overdue by more than the grace,
   * waiting tasks past their wait's deadline by more than the grace. A
   * running task always has a lease expiry (a claim sets one, a release leaves
   * `running`), so a NULL expiry is never an expired lease.
   */
  findDue(query: DueQuery): Promise<DuePage>;
  /** Ids of finished tasks of `type` that finished before `before`, for retention. */
  findFinishedBefore(type: string, before: number, limit: number): Promise<string[]>;
  /**
   * Appends an event that goes with no lease holder's write, and the
   * deliveries announcing it, in one transaction. The deliveries are added
   * only while the task exists (a delete that won the race leaves none).
   */
  appendEvent(event: TaskEvent, deliveries?: readonly NewWebhookDelivery[]): Promise<TaskEvent>;
  /** The task's events after `afterSeq`, oldest first; at most `limit` of them when given. */
  listEvents(taskId: string, afterSeq?: number, limit?: number): Promise<TaskEvent[]>;
  /** Reachability check for health indicators. */
  ping(): Promise<void>;
}
