import {
  isTerminal,
  signalOf,
  signalWait,
  TERMINAL_STATUSES,
  type Placement,
  type StepRecord,
  type TaskEvent,
  type TaskRecord,
  type TaskStatus,
  type WaitTarget,
} from '../../model';
import type {
  ClaimRequest,
  Claimed,
  Held,
  HeldQuery,
  LimitedClaimRequest,
  NewWebhookDelivery,
  DueKey,
  DuePage,
  DueQuery,
  DueTask,
  LeaseState,
  ListPage,
  ListQuery,
  NewTask,
  NewTaskWrite,
  PauseOutcome,
  StopRequest,
  ProgressChange,
  TaskChange,
  TaskStore,
  FinishedQuery,
  FinishedTask,
  StatsQuery,
  TaskStats,
  RetryRequest,
  ChildTask,
  NewSignal,
  SignalDelivered,
  SuspendOutcome,
  SuspendRequest,
} from '../../ports';
import { heldUntil, limitReached, pauseMoved, type LimitCounts } from '../../ports';
import { decodeCursor, encodeCursor } from '../../ports/list-cursor';
import { MemoryWebhookDeliveries } from './memory-webhook-deliveries';

/**
 * A TaskStore in memory, with the same conditional semantics as the SQL
 * adapters. For tests and throwaway runs: nothing survives the process.
 * Each write changes the task, its events and its webhook deliveries in one
 * synchronous step (no await in between), so they are all or nothing, as a
 * transaction makes them in SQL.
 */
/** A step that runs again: as if never run. */
const reopenedStep = {
  status: 'pending',
  attempts: 0,
  abandoned: 0,
  progress: 0,
  output: null,
  error: null,
  startedAt: null,
  finishedAt: null,
} as const;

export class MemoryTaskStore implements TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly events: TaskEvent[] = [];
  private seq = 0;
  /** Signals by arrival; `step` is the step that took it (null: not taken yet). */
  private readonly signals: Array<{ taskId: string; name: string; payload: unknown; step: string | null }> = [];
  /** Claim times of the rate-limited types, within their windows (`stepwise_type_claims`). */
  private readonly typeClaims = new Map<string, number[]>();

  /** @param webhookDeliveries the outbox rows this store writes; read them with `new MemoryWebhookOutbox(...)`. */
  constructor(readonly webhookDeliveries: MemoryWebhookDeliveries = new MemoryWebhookDeliveries()) {}

  async create(
    task: NewTask,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<{ task: TaskRecord; created: boolean }> {
    // Looked up and inserted without an await in between: concurrent creates
    // with one key must yield one task, as the SQL unique index guarantees.
    const existing =
      (task.idempotencyKey ? this.byKey(task.owner, task.idempotencyKey) : undefined) ??
      (task.singletonKey && !isTerminal(task.status) ? this.bySingletonKey(task.type, task.singletonKey) : undefined);
    if (existing) return { task: structuredClone(existing), created: false };
    if (this.tasks.has(task.id)) throw new Error(`duplicate task id ${task.id}`);
    const record: TaskRecord = { ...structuredClone(task), version: 1, leaseOwner: null, leaseExpiresAt: null };
    this.webhookDeliveries.insert(deliveries);
    this.tasks.set(task.id, record);
    if (event) event.seq = this.append(event).seq;
    return { task: structuredClone(record), created: true };
  }

  async createWithinQuota(
    task: NewTask,
    maxActive: number,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<{ task: TaskRecord; created: boolean } | { task: null; active: number }> {
    // Counted and inserted without an await in between: one step, as the SQL stores' lock makes it.
    const active = this.activeOf(task.owner);
    if (active >= maxActive) return { task: null, active };
    return this.create(task, event, deliveries);
  }

  async createMany(writes: readonly NewTaskWrite[]): Promise<TaskRecord[]> {
    // Every check before any write: all or nothing.
    const ids = new Set<string>();
    const keys = new Set<string>();
    const singletons = new Set<string>();
    for (const { task } of writes) {
      if (this.tasks.has(task.id) || ids.has(task.id)) throw new Error(`duplicate task id ${task.id}`);
      ids.add(task.id);
      if (task.singletonKey && !isTerminal(task.status)) {
        const singleton = JSON.stringify([task.type, task.singletonKey]);
        if (singletons.has(singleton) || this.bySingletonKey(task.type, task.singletonKey)) {
          throw new Error(`singleton key ${task.singletonKey} of ${task.type} is held by an unfinished task`);
        }
        singletons.add(singleton);
      }
      if (!task.idempotencyKey) continue;
      const key = JSON.stringify([task.owner, task.idempotencyKey]);
      if (keys.has(key) || this.byKey(task.owner, task.idempotencyKey)) {
        throw new Error(`duplicate idempotency key ${task.idempotencyKey} of ${task.owner}`);
      }
      keys.add(key);
    }
    return writes.map(({ task, event, deliveries = [] }) => {
      const record: TaskRecord = { ...structuredClone(task), version: 1, leaseOwner: null, leaseExpiresAt: null };
      this.webhookDeliveries.insert(deliveries);
      this.tasks.set(task.id, record);
      if (event) event.seq = this.append(event).seq;
      return structuredClone(record);
    });
  }

  async get(id: string): Promise<TaskRecord | null> {
    const task = this.tasks.get(id);
    return task ? structuredClone(task) : null;
  }

  async findByIdempotencyKey(owner: string, key: string): Promise<TaskRecord | null> {
    const task = this.byKey(owner, key);
    return task ? structuredClone(task) : null;
  }

  /** The unfinished task of this type holding this singleton key, as the SQL partial unique index has it. */
  private bySingletonKey(type: string, key: string): TaskRecord | undefined {
    for (const task of this.tasks.values()) {
      if (task.type === type && task.singletonKey === key && !isTerminal(task.status)) return task;
    }
    return undefined;
  }

  private byKey(owner: string, key: string): TaskRecord | undefined {
    for (const task of this.tasks.values()) if (task.owner === owner && task.idempotencyKey === key) return task;
    return undefined;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const matching = [...this.tasks.values()]
      .filter((t) => query.owner === undefined || t.owner === query.owner)
      .filter((t) => !query.type || t.type === query.type)
      .filter((t) => !query.status || t.status === query.status)
      .sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = matching.filter(
      (t) => !after || t.createdAt < after.createdAt || (t.createdAt === after.createdAt && t.id < after.id),
    );
    const items = page.slice(0, query.limit).map((t) => structuredClone(t));
    const last = items[items.length - 1];
    return {
      items,
      total: matching.length,
      nextCursor: page.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  claim(request: ClaimRequest): Promise<Claimed | null> {
    return this.claimTask(request) as Promise<Claimed | null>;
  }

  claimWithinLimits(request: LimitedClaimRequest): Promise<Claimed | Held | null> {
    return this.claimTask(request);
  }

  private async claimTask(request: ClaimRequest & Partial<LimitedClaimRequest>): Promise<Claimed | Held | null> {
    const { now } = request;
    const task = this.tasks.get(request.taskId);
    if (!task || isTerminal(task.status)) return null;
    if (request.types && !request.types.includes(task.type)) return null;
    if (task.leaseOwner !== null && (task.leaseExpiresAt ?? 0) > now) return null;
    const due = task.runAt <= now && task.status !== 'paused';
    if (!due && !task.cancelRequested) return null;
    // Checked and taken without an await in between: one process, no lock needed.
    const limits = task.cancelRequested ? undefined : request.limits?.[task.type];
    const ownerMax = task.cancelRequested ? undefined : request.ownerMax;
    if (limits || ownerMax !== undefined) {
      const own = limits ?? {};
      const counts = this.limitCounts(task, own.rate?.perMs ?? 0, now);
      const reason = limitReached(own, counts, ownerMax);
      if (reason) {
        task.heldBack = { reason, since: task.heldBack?.since ?? now };
        task.runAt = heldUntil(reason, own, counts, now, request.holdMs);
        task.version++;
        task.updatedAt = now;
        const { id, queue, placement, priority, version } = task;
        return {
          task: null,
          held: { ...task.heldBack },
          retryAt: task.runAt,
          due: { id, queue, placement, priority, version },
        };
      }
      if (own.rate) this.typeClaims.get(task.type)!.push(now);
    }
    delete task.heldBack;
    task.leaseOwner = request.workerId;
    task.leaseExpiresAt = now + request.leaseMs;
    task.status = task.status === 'compensating' ? 'compensating' : 'running';
    task.startedAt ??= now;
    if (task.deadlineAt === null && task.timeoutMs !== null) task.deadlineAt = task.startedAt + task.timeoutMs;
    task.version++;
    task.updatedAt = now;
    const step = request.start ? stepToStart(task, request.start.placement, now) : undefined;
    if (!step) return { task: structuredClone(task), started: null };
    Object.assign(step, { status: 'running', attempts: step.attempts + 1, startedAt: now, error: null });
    task.message = null;
    const { id: taskId, owner, type: taskType, status, progress } = task;
    const started = await this.appendEvent({
      ...{ taskId, owner, taskType, status, progress, at: now },
      ...{ type: 'task.step', step: step.name, stepStatus: 'running' },
    });
    return { task: structuredClone(task), started };
  }

  /** The counts a limited claim checks; drops the claims that left the rate window. */
  private limitCounts(task: TaskRecord, perMs: number, now: number): LimitCounts {
    let running = 0;
    let ownerRunning = 0;
    let ownerRunningAllTypes = 0;
    for (const other of this.tasks.values()) {
      if (isTerminal(other.status) || other.leaseOwner === null || (other.leaseExpiresAt ?? 0) <= now) continue;
      if (other.owner === task.owner) ownerRunningAllTypes++;
      if (other.type !== task.type) continue;
      running++;
      if (other.owner === task.owner) ownerRunning++;
    }
    const claims = (this.typeClaims.get(task.type) ?? []).filter((at) => at > now - perMs);
    this.typeClaims.set(task.type, claims);
    return {
      running,
      ownerRunning,
      ownerRunningAllTypes,
      recentClaims: claims.length,
      oldestClaim: claims.length ? Math.min(...claims) : null,
    };
  }

  async wakeHeld(query: HeldQuery): Promise<DueTask[]> {
    const held = [...this.tasks.values()]
      .filter((t) => t.heldBack && !isTerminal(t.status) && t.status !== 'paused')
      .filter((t) => {
        const owners = t.heldBack!.reason === 'owner-concurrency';
        if (t.type === query.type) return !owners || t.owner === query.owner;
        return Boolean(query.acrossTypes) && owners && t.owner === query.owner;
      })
      .sort((a, b) => b.priority - a.priority || a.heldBack!.since - b.heldBack!.since || (a.id < b.id ? -1 : 1))
      .slice(0, query.limit);
    return held.map((task) => {
      task.runAt = query.now;
      task.version++;
      const { id, queue, placement, priority, version } = task;
      return { id, queue, placement, priority, version };
    });
  }

  async renewLease(taskId: string, workerId: string, leaseMs: number, now: number): Promise<LeaseState> {
    const task = this.tasks.get(taskId);
    if (!task || task.leaseOwner !== workerId) {
      return { held: false, cancelRequested: false, pauseRequested: false, deleteRequested: false };
    }
    task.leaseExpiresAt = now + leaseMs;
    const { cancelRequested, pauseRequested, deleteRequested } = task;
    return { held: true, cancelRequested, pauseRequested, deleteRequested };
  }

  async save(task: TaskRecord, workerId: string, change: TaskChange = {}): Promise<boolean> {
    return this.writeHeld(task, workerId, change, null);
  }

  /** The lease holder's write, in one synchronous step; `waitingFor` is what the task waits for after it. */
  private writeHeld(task: TaskRecord, workerId: string, change: TaskChange, waitingFor: WaitTarget | null): boolean {
    const current = this.tasks.get(task.id);
    if (!current || current.leaseOwner !== workerId) return false;
    if (change.whilePauseRequested && !current.pauseRequested) return false;
    const next = structuredClone(task);
    // What the SQL stores never write: the identity, the input, and the steps not named.
    next.input = current.input;
    next.steps = current.steps.map((step) =>
      change.steps?.includes(step.name) ? structuredClone(task.steps.find((s) => s.name === step.name)!) : step,
    );
    if (change.runAfterMs === undefined) next.runAt = current.runAt;
    next.cancelRequested = current.cancelRequested;
    next.pauseRequested = current.pauseRequested;
    next.deleteRequested = current.deleteRequested;
    // A lease holder's task waits for nothing (only `suspend` makes it wait).
    next.waitingFor = waitingFor;
    next.parentId = current.parentId ?? null;
    if (task.leaseOwner !== null) {
      next.leaseOwner = current.leaseOwner;
      next.leaseExpiresAt = current.leaseExpiresAt;
    }
    next.version = current.version + 1;
    this.webhookDeliveries.insert(change.deliveries ?? []);
    this.tasks.set(task.id, next);
    task.version = next.version;
    for (const event of change.events ?? []) event.seq = this.append(event).seq;
    if (next.parentId && isTerminal(next.status)) this.wakeParent(next.parentId, next.updatedAt);
    return true;
  }

  /** A child ended: its parent, waiting for its children, wakes when none is unfinished. */
  private wakeParent(parentId: string, now: number): void {
    const parent = this.tasks.get(parentId);
    if (!parent || parent.status !== 'waiting' || parent.waitingFor !== 'children') return;
    if (this.hasUnfinishedChild(parentId)) return;
    Object.assign(parent, { status: 'pending', runAt: now, waitingFor: null, updatedAt: now });
    parent.version++;
  }

  private hasUnfinishedChild(parentId: string): boolean {
    for (const t of this.tasks.values()) if (t.parentId === parentId && !isTerminal(t.status)) return true;
    return false;
  }

  async findChildren(parentId: string): Promise<ChildTask[]> {
    return [...this.tasks.values()]
      .filter((t) => t.parentId === parentId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(({ id, type, status, output, error, createdAt }) =>
        structuredClone({ id, type, status, output, error, createdAt }),
      );
  }

  async saveProgress(
    taskId: string,
    workerId: string,
    change: ProgressChange,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<boolean> {
    const current = this.tasks.get(taskId);
    if (!current || current.leaseOwner !== workerId) return false;
    this.webhookDeliveries.insert(deliveries);
    current.progress = change.progress;
    current.message = change.message;
    current.updatedAt = change.updatedAt;
    const step = current.steps.find((s) => s.name === change.step);
    if (step) step.progress = change.stepProgress;
    if (event) event.seq = this.append(event).seq;
    return true;
  }

  async setPaused(
    taskId: string,
    paused: boolean,
    now: number,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<PauseOutcome | null> {
    const task = this.tasks.get(taskId);
    if (!task || isTerminal(task.status)) return null;
    const before = task.status;
    const leaseFree = task.leaseOwner === null || (task.leaseExpiresAt ?? 0) <= now;
    // The deliveries first: when they cannot be added, nothing changes.
    const moves = paused ? before === 'pending' && leaseFree : before === 'paused';
    if (moves && event) this.webhookDeliveries.insert(deliveries);
    task.pauseRequested = paused;
    if (paused && before === 'pending' && leaseFree) {
      task.status = 'paused';
      task.version++;
    } else if (!paused && before === 'paused') {
      Object.assign(task, { status: 'pending', runAt: now });
      task.version++;
    }
    const moved = pauseMoved(paused, { before, after: task.status });
    if (moved && event) event.seq = this.append(event).seq;
    return { before, after: task.status };
  }

  async setFlags(taskId: string, flags: { cancelRequested?: boolean; pauseRequested?: boolean }): Promise<void> {
    const task = this.tasks.get(taskId);
    if (!task) return;
    // Flags are orthogonal to the lease holder's writes: no version bump.
    Object.assign(task, flags);
  }

  async requestStop(taskId: string, request: StopRequest): Promise<{ cancelled: boolean } | null> {
    const task = this.tasks.get(taskId);
    if (!task || isTerminal(task.status)) return null;
    const cancelled = request.cancel && !task.cancelRequested;
    if (cancelled && request.event) this.webhookDeliveries.insert(request.deliveries ?? []);
    if (request.delete) task.deleteRequested = true;
    if (request.cancel) task.cancelRequested = true;
    if (cancelled && request.event) request.event.seq = this.append(request.event).seq;
    return { cancelled };
  }

  async suspend(task: TaskRecord, workerId: string, request: SuspendRequest): Promise<SuspendOutcome> {
    const current = this.tasks.get(task.id);
    if (!current || current.leaseOwner !== workerId) return 'lost';
    if (this.waitIsOver(task.id, request.waitingFor)) return 'ready';
    const waiting = { ...task, status: 'waiting' as const, leaseOwner: null, leaseExpiresAt: null };
    // No await between the check above and this write: they are one step.
    this.writeHeld(waiting, workerId, request, request.waitingFor);
    task.version = waiting.version;
    return 'waiting';
  }

  /** What a task would wait for is there already: an untaken signal of that name, or no unfinished child. */
  private waitIsOver(taskId: string, target: string): boolean {
    if (target === 'children') return !this.hasUnfinishedChild(taskId);
    const name = signalOf(target);
    return name !== null && this.signals.some((s) => s.taskId === taskId && s.name === name && s.step === null);
  }

  async takeSignal(taskId: string, name: string, step: string): Promise<{ payload: unknown } | null> {
    const signal = this.signals.find(
      (s) => s.taskId === taskId && s.name === name && (s.step === null || s.step === step),
    );
    if (!signal) return null;
    signal.step = step;
    return { payload: structuredClone(signal.payload) };
  }

  async deliverSignal(taskId: string, signal: NewSignal): Promise<SignalDelivered | null> {
    const task = this.tasks.get(taskId);
    if (!task || isTerminal(task.status)) return null;
    if (signal.event) this.webhookDeliveries.insert(signal.deliveries ?? []);
    this.signals.push({ taskId, name: signal.name, payload: structuredClone(signal.payload), step: null });
    const woken = task.status === 'waiting' && task.waitingFor === signalWait(signal.name);
    if (woken) {
      Object.assign(task, { status: 'pending', runAt: signal.at, waitingFor: null, updatedAt: signal.at });
      task.version++;
    }
    if (signal.event) signal.event.seq = this.append(signal.event).seq;
    return { woken, version: task.version };
  }

  async findDeleteRequested(limit: number): Promise<string[]> {
    return [...this.tasks.values()]
      .filter((t) => t.deleteRequested && isTerminal(t.status))
      .slice(0, limit)
      .map((t) => t.id);
  }

  async delete(taskId: string): Promise<void> {
    this.tasks.delete(taskId);
    for (let i = this.signals.length - 1; i >= 0; i--) if (this.signals[i].taskId === taskId) this.signals.splice(i, 1);
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i].taskId === taskId) this.events.splice(i, 1);
    this.webhookDeliveries.forgetTask(taskId);
  }

  async findDue(query: DueQuery): Promise<DuePage> {
    const { now, limit, after } = query;
    const tasks = [...this.tasks.values()];
    // The three scans of the SQL stores, with their keys.
    const leased = (t: TaskRecord) => t.status === 'running' || t.status === 'compensating';
    const expired = keysetPage(
      tasks.filter((t) => leased(t) && t.leaseExpiresAt !== null && t.leaseExpiresAt < now),
      (t) => ({ at: t.leaseExpiresAt ?? 0, id: t.id }),
      after?.expired ?? null,
      limit,
    );
    const cancels = keysetPage(
      tasks.filter((t) => t.cancelRequested && !isTerminal(t.status) && (t.leaseExpiresAt ?? 0) < now),
      (t) => ({ at: 0, id: t.id }),
      after?.cancels ? { at: 0, id: after.cancels } : null,
      limit,
    );
    const pending = keysetPage(
      tasks.filter((t) => t.status === 'pending' && t.runAt <= now - query.pendingGraceMs),
      (t) => ({ at: t.runAt, id: t.id }),
      after?.pending ?? null,
      limit,
    );
    const waiting = keysetPage(
      tasks.filter((t) => t.status === 'waiting' && t.runAt <= now - query.pendingGraceMs),
      (t) => ({ at: t.runAt, id: t.id }),
      after?.waiting ?? null,
      limit,
    );
    return {
      expired: expired.tasks,
      cancels: cancels.tasks,
      pending: pending.tasks,
      waiting: waiting.tasks,
      next: {
        expired: expired.next,
        cancels: cancels.next?.id ?? null,
        pending: pending.next,
        waiting: waiting.next,
      },
    };
  }

  async retryFailed(taskId: string, request: RetryRequest): Promise<boolean> {
    const task = this.tasks.get(taskId);
    if (!task || task.status !== 'failed') return false;
    // Another unfinished task holds its singleton key (submitted since it failed): re-opening it would make two.
    if (task.singletonKey && this.bySingletonKey(task.type, task.singletonKey)) return false;
    if (request.event) this.webhookDeliveries.insert(request.deliveries ?? []);
    Object.assign(task, {
      status: 'pending',
      placement: request.placement,
      progress: request.progress,
      error: null,
      message: null,
      runAt: request.now,
      startedAt: null,
      finishedAt: null,
      deadlineAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      cancelRequested: false,
      pauseRequested: false,
      updatedAt: request.now,
      version: task.version + 1,
    });
    for (const step of task.steps) {
      if (step.status === 'completed') continue;
      Object.assign(step, reopenedStep);
    }
    if (request.event) request.event.seq = this.append(request.event).seq;
    return true;
  }

  async countActive(owner: string): Promise<number> {
    return this.activeOf(owner);
  }

  private activeOf(owner: string): number {
    let count = 0;
    for (const t of this.tasks.values()) if (t.owner === owner && !isTerminal(t.status)) count++;
    return count;
  }

  async resultBytes(owner: string): Promise<number> {
    let bytes = 0;
    for (const t of this.tasks.values()) if (t.owner === owner && t.resultFile) bytes += t.resultFile.size;
    return bytes;
  }

  async stats(query: StatsQuery): Promise<TaskStats> {
    const counts = new Map<string, { type: string; status: TaskStatus; count: number }>();
    let oldestPendingAt: number | null = null;
    for (const t of this.tasks.values()) {
      if (query.owner !== undefined && t.owner !== query.owner) continue;
      const key = `${t.type}\u0000${t.status}`;
      const entry = counts.get(key) ?? { type: t.type, status: t.status, count: 0 };
      entry.count++;
      counts.set(key, entry);
      if (t.status === 'pending' && (oldestPendingAt === null || t.createdAt < oldestPendingAt))
        oldestPendingAt = t.createdAt;
    }
    const sorted = [...counts.values()].sort(
      (a, b) => a.type.localeCompare(b.type) || a.status.localeCompare(b.status),
    );
    return { counts: sorted, oldestPendingAt };
  }

  async findFinished(query: FinishedQuery): Promise<FinishedTask[]> {
    const statuses = query.statuses ?? TERMINAL_STATUSES;
    const { after } = query;
    return [...this.tasks.values()]
      .filter(
        (t) =>
          isTerminal(t.status) &&
          statuses.includes(t.status) &&
          (query.owner === undefined || t.owner === query.owner) &&
          (query.type === undefined || t.type === query.type) &&
          (query.finishedBefore === undefined || (t.finishedAt ?? Infinity) < query.finishedBefore) &&
          (query.finishedAfter === undefined || (t.finishedAt ?? -Infinity) >= query.finishedAfter),
      )
      .map((t) => ({ id: t.id, finishedAt: t.finishedAt ?? 0 }))
      .filter(
        (t) => !after || t.finishedAt > after.finishedAt || (t.finishedAt === after.finishedAt && t.id > after.id),
      )
      .sort((a, b) => a.finishedAt - b.finishedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, query.limit);
  }

  async findFinishedBefore(type: string, before: number, limit: number): Promise<string[]> {
    return [...this.tasks.values()]
      .filter((t) => t.type === type && isTerminal(t.status) && (t.finishedAt ?? Infinity) < before)
      .slice(0, limit)
      .map((t) => t.id);
  }

  async appendEvent(event: TaskEvent, deliveries: readonly NewWebhookDelivery[] = []): Promise<TaskEvent> {
    if (this.tasks.has(event.taskId)) this.webhookDeliveries.insert(deliveries);
    return this.append(event);
  }

  /** Synchronous, so that a state change and its event land together. */
  private append(event: TaskEvent): TaskEvent {
    const stored = { ...event, seq: ++this.seq };
    this.events.push(stored);
    return stored;
  }

  async listEvents(taskId: string, afterSeq = 0, limit?: number): Promise<TaskEvent[]> {
    const after = this.events.filter((e) => e.taskId === taskId && (e.seq ?? 0) > afterSeq);
    return after.slice(0, limit ?? after.length).map((e) => ({ ...e }));
  }

  async ping(): Promise<void> {
    return;
  }
}

/** A keyset page by (at, id) after `from`, as the SQL scans read it, and where the next page starts. */
/** The claim's rule for starting the next step, as the SQL stores spell it (task-writes.ts: startsStep). */
function stepToStart(task: TaskRecord, placement: Placement, now: number): StepRecord | undefined {
  if (task.status !== 'running' || task.cancelRequested || task.pauseRequested) return undefined;
  if (task.deadlineAt !== null && task.deadlineAt <= now) return undefined;
  const next = [...task.steps].sort((a, b) => a.order - b.order).find((s) => s.status !== 'completed');
  if (!next || !['pending', 'running'].includes(next.status) || next.on !== placement) return undefined;
  return next;
}

function keysetPage(
  tasks: TaskRecord[],
  key: (task: TaskRecord) => DueKey,
  from: DueKey | null,
  limit: number,
): { tasks: DueTask[]; next: DueKey | null } {
  const compare = (a: DueKey, b: DueKey) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const rest = tasks.filter((t) => !from || compare(key(t), from) > 0).sort((a, b) => compare(key(a), key(b)));
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tasks: page.map(({ id, queue, placement, priority, version }) => ({ id, queue, placement, priority, version })),
    next: rest.length > limit && last ? key(last) : null,
  };
}
