import type { Placement, TaskEvent, TaskRecord, TaskStatus } from '../model';

/** Fields of a task at creation; the store fills versions and times. */
export type NewTask = Omit<TaskRecord, 'version' | 'leaseOwner' | 'leaseExpiresAt'>;

export interface ClaimRequest {
  taskId: string;
  workerId: string;
  leaseMs: number;
  now: number;
  /** Only tasks of these types are claimable (the ones this process can run). */
  types?: readonly string[];
}

export interface ListQuery {
  owner: string;
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

export interface LeaseState {
  /** False when the lease was lost (taken over, or the task deleted). */
  held: boolean;
  cancelRequested: boolean;
  pauseRequested: boolean;
}

/**
 * Persistence port. Every mutation that follows a claim is conditional on the
 * lease owner, so a worker that lost its lease can never overwrite the winner.
 */
export interface TaskStore {
  /** Inserts a task, or returns the existing one with the same owner + idempotency key. */
  create(task: NewTask): Promise<{ task: TaskRecord; created: boolean }>;
  get(id: string): Promise<TaskRecord | null>;
  findByIdempotencyKey(owner: string, key: string): Promise<TaskRecord | null>;
  list(query: ListQuery): Promise<ListPage>;
  /**
   * Takes the lease (conditional on the version read) if the task is not
   * terminal, nobody holds a live lease, and it is due (`runAt <= now`, not
   * paused) or a cancel was requested. Null when another claimant won.
   */
  claim(request: ClaimRequest): Promise<TaskRecord | null>;
  /** Extends a held lease and reports the flags set by other processes. */
  renewLease(taskId: string, workerId: string, until: number): Promise<LeaseState>;
  /**
   * Writes the task (and the named steps) if `workerId` still holds the lease.
   * Returns false when it does not: the caller must stop working on the task.
   * Never writes `cancelRequested`/`pauseRequested` (other processes set them)
   * and never moves a held lease's expiry (heartbeats do); clears the lease
   * when `task.leaseOwner` is null. When `event` is given it is appended to
   * the log in the same transaction (its `seq` is set): a crash never leaves
   * a state change without its event, nor an event without its state.
   */
  save(task: TaskRecord, workerId: string, changedSteps: readonly string[], event?: TaskEvent): Promise<boolean>;
  /** Sets request flags that the lease holder reads (cancel, pause). */
  setFlags(taskId: string, flags: { cancelRequested?: boolean; pauseRequested?: boolean }): Promise<void>;
  /**
   * Changes a task that no worker holds (pause or resume of a waiting task);
   * false if its version moved or a live lease exists.
   */
  update(
    taskId: string,
    expectedVersion: number,
    now: number,
    patch: Partial<Pick<TaskRecord, 'status' | 'runAt' | 'message'>>,
  ): Promise<boolean>;
  delete(taskId: string): Promise<void>;
  /** Tasks to re-dispatch: pending and due for longer than `pendingGraceMs`, or lease expired. */
  findDue(now: number, pendingGraceMs: number, limit: number): Promise<DueTask[]>;
  /** Ids of finished tasks of `type` that finished before `before`, for retention. */
  findFinishedBefore(type: string, before: number, limit: number): Promise<string[]>;
  appendEvent(event: TaskEvent): Promise<TaskEvent>;
  listEvents(taskId: string, afterSeq?: number): Promise<TaskEvent[]>;
  /** Reachability check for health indicators. */
  ping(): Promise<void>;
}
