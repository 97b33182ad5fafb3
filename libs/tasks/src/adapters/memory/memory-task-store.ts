import { isTerminal, type TaskEvent, type TaskRecord } from '../../model';
import type { ClaimRequest, DueTask, LeaseState, ListPage, ListQuery, NewTask, TaskStore } from '../../ports';
import { decodeCursor, encodeCursor } from '../list-cursor';

/**
 * A TaskStore in memory, with the same conditional semantics as the SQL
 * adapters. For tests and throwaway runs: nothing survives the process.
 */
export class MemoryTaskStore implements TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly events: TaskEvent[] = [];
  private seq = 0;

  async create(task: NewTask): Promise<{ task: TaskRecord; created: boolean }> {
    // Looked up and inserted without an await in between: concurrent creates
    // with one key must yield one task, as the SQL unique index guarantees.
    const existing = task.idempotencyKey ? this.byKey(task.owner, task.idempotencyKey) : undefined;
    if (existing) return { task: structuredClone(existing), created: false };
    if (this.tasks.has(task.id)) throw new Error(`duplicate task id ${task.id}`);
    const record: TaskRecord = { ...structuredClone(task), version: 1, leaseOwner: null, leaseExpiresAt: null };
    this.tasks.set(task.id, record);
    return { task: structuredClone(record), created: true };
  }

  async get(id: string): Promise<TaskRecord | null> {
    const task = this.tasks.get(id);
    return task ? structuredClone(task) : null;
  }

  async findByIdempotencyKey(owner: string, key: string): Promise<TaskRecord | null> {
    const task = this.byKey(owner, key);
    return task ? structuredClone(task) : null;
  }

  private byKey(owner: string, key: string): TaskRecord | undefined {
    for (const task of this.tasks.values()) if (task.owner === owner && task.idempotencyKey === key) return task;
    return undefined;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const matching = [...this.tasks.values()]
      .filter((t) => t.owner === query.owner)
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

  async claim(request: ClaimRequest): Promise<TaskRecord | null> {
    const task = this.tasks.get(request.taskId);
    if (!task || isTerminal(task.status)) return null;
    if (request.types && !request.types.includes(task.type)) return null;
    if (task.leaseOwner !== null && (task.leaseExpiresAt ?? 0) > request.now) return null;
    const due = task.runAt <= request.now && task.status !== 'paused';
    if (!due && !task.cancelRequested) return null;
    task.leaseOwner = request.workerId;
    task.leaseExpiresAt = request.now + request.leaseMs;
    task.status = task.status === 'compensating' ? 'compensating' : 'running';
    task.version++;
    task.updatedAt = request.now;
    return structuredClone(task);
  }

  async renewLease(taskId: string, workerId: string, until: number): Promise<LeaseState> {
    const task = this.tasks.get(taskId);
    if (!task || task.leaseOwner !== workerId) return { held: false, cancelRequested: false, pauseRequested: false };
    task.leaseExpiresAt = until;
    return { held: true, cancelRequested: task.cancelRequested, pauseRequested: task.pauseRequested };
  }

  async save(
    task: TaskRecord,
    workerId: string,
    _changedSteps?: readonly string[],
    event?: TaskEvent,
  ): Promise<boolean> {
    const current = this.tasks.get(task.id);
    if (!current || current.leaseOwner !== workerId) return false;
    const next = structuredClone(task);
    next.cancelRequested = current.cancelRequested;
    next.pauseRequested = current.pauseRequested;
    if (task.leaseOwner !== null) {
      next.leaseOwner = current.leaseOwner;
      next.leaseExpiresAt = current.leaseExpiresAt;
    }
    next.version = current.version + 1;
    this.tasks.set(task.id, next);
    task.version = next.version;
    if (event) event.seq = (await this.appendEvent(event)).seq;
    return true;
  }

  async setFlags(taskId: string, flags: { cancelRequested?: boolean; pauseRequested?: boolean }): Promise<void> {
    const task = this.tasks.get(taskId);
    if (!task) return;
    // Flags are orthogonal to the lease holder's writes: no version bump.
    Object.assign(task, flags);
  }

  async update(
    taskId: string,
    expectedVersion: number,
    now: number,
    patch: Partial<Pick<TaskRecord, 'status' | 'runAt' | 'message'>>,
  ): Promise<boolean> {
    const task = this.tasks.get(taskId);
    if (!task || task.version !== expectedVersion) return false;
    if (task.leaseOwner !== null && (task.leaseExpiresAt ?? 0) > now) return false;
    Object.assign(task, patch, { updatedAt: now });
    task.version++;
    return true;
  }

  async delete(taskId: string): Promise<void> {
    this.tasks.delete(taskId);
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i].taskId === taskId) this.events.splice(i, 1);
  }

  async findDue(now: number, pendingGraceMs: number, limit: number): Promise<DueTask[]> {
    return [...this.tasks.values()]
      .filter(
        (t) =>
          (t.status === 'pending' && t.runAt <= now - pendingGraceMs) ||
          (['running', 'compensating'].includes(t.status) && (t.leaseExpiresAt ?? 0) < now) ||
          (t.cancelRequested && !isTerminal(t.status) && (t.leaseExpiresAt ?? 0) < now),
      )
      .slice(0, limit)
      .map((t) => ({ id: t.id, queue: t.queue, placement: t.placement, priority: t.priority, version: t.version }));
  }

  async findFinishedBefore(type: string, before: number, limit: number): Promise<string[]> {
    return [...this.tasks.values()]
      .filter((t) => t.type === type && isTerminal(t.status) && (t.finishedAt ?? Infinity) < before)
      .slice(0, limit)
      .map((t) => t.id);
  }

  async appendEvent(event: TaskEvent): Promise<TaskEvent> {
    const stored = { ...event, seq: ++this.seq };
    this.events.push(stored);
    return stored;
  }

  async listEvents(taskId: string, afterSeq = 0): Promise<TaskEvent[]> {
    return this.events.filter((e) => e.taskId === taskId && (e.seq ?? 0) > afterSeq).map((e) => ({ ...e }));
  }

  async ping(): Promise<void> {
    return;
  }
}
