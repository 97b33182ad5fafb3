import type { TaskDefinition } from '../definition';
import { isTerminal, type Placement, type TaskEvent, type TaskRecord, type TaskStatus } from '../model';
import type { ChildTask, FinishedQuery, FinishedTask, ListPage, NewTask, TaskStore, TraceCarrier } from '../ports';
import type { EngineDeps } from './engine-deps';
import { EventRecorder } from './event-recorder';
import { declaredSignal, type FieldIssue, validateInput, validateSignal } from './input-validation';
import { wakeUp, wakeUpMany } from './wake-up';
import { Reconciler } from './reconciler';
import { Scheduler } from './scheduler';
import { Sweeper } from './sweeper';
import { requestFingerprint } from './request-fingerprint';
import {
  conflict,
  idempotencyKeyReused,
  invalidInput,
  activeTasksExceeded,
  TaskOperationError,
  taskNotFound,
  unknownTaskType,
} from './operation-errors';
import { TaskWorker } from './task-worker';

export interface SubmitRequest {
  type: string;
  input: unknown;
  owner: string;
  /** Pre-allocated id, when files were stored under it before the submit. */
  id?: string;
  idempotencyKey?: string;
  /**
   * What identifies the request for its idempotency key, when the transport
   * knows better than `requestFingerprint(type, input)` (which is the
   * default): a multipart submit leaves out the storage keys of its files,
   * which differ on every retry.
   */
  fingerprint?: string;
  callbackUrl?: string;
  priority?: number;
  /** When the task becomes due (epoch ms); a time past is now. Exclusive with `delayMs`. */
  runAt?: number;
  /** How long after the submit the task becomes due. */
  delayMs?: number;
  /**
   * At most one unfinished task of the type holds this key: while one does,
   * the submit answers with it (`created: false`), or with a conflict when
   * `singleton` is `'conflict'`. Free again once that task has ended. At most
   * {@link MAX_SINGLETON_KEY_LENGTH} printable characters.
   */
  singletonKey?: string;
  /** What a submit whose singleton key is held answers: the holder (the default) or a conflict. */
  singleton?: SingletonPolicy;
  /** Who submits, recorded in `task.created` (see `TaskEvent.actor`); {@link SYSTEM_ACTOR} when not given. */
  actor?: string;
  /** The task whose step spawns this one (`ctx.spawn`). */
  parentId?: string;
  /**
   * The owner's `activeTasks` quota: the task is created only while the owner
   * has fewer unfinished tasks, counted and inserted as one step (concurrent
   * submits never overshoot); else a `quota_exceeded` error, nothing created.
   */
  maxActive?: number;
}

/** The actor of what application code asks for without naming one: a submit, a cancel, ... from code. */
export const SYSTEM_ACTOR = 'system';

/** What a submit whose singleton key an unfinished task holds answers with. */
export type SingletonPolicy = 'existing' | 'conflict';

/** The longest singleton key. */
export const MAX_SINGLETON_KEY_LENGTH = 200;
/** Printable: no control, format, private-use or unassigned characters, no lone surrogates. */
const SINGLETON_KEY = /^\P{C}+$/u;

/** The furthest a submit may be scheduled: a year. */
export const MAX_SUBMIT_DELAY_MS = 366 * 86_400_000;

/** `GET /tasks/stats`: counts by status and by type, and the oldest pending task's wait. */
export interface TaskStatsSummary {
  total: number;
  byStatus: Partial<Record<TaskStatus, number>>;
  byType: Record<string, Partial<Record<TaskStatus, number>>>;
  /** Null when nothing is pending. */
  oldestPendingAgeMs: number | null;
}

/** Decides whether a bulk operation may act on one task (the authorization hooks). */
export type TaskFilter = (task: TaskRecord) => boolean | Promise<boolean>;

/** Finished tasks deleted per round trip of a bulk cleanup. */
const PURGE_BATCH = 100;

/** What the tasks of one {@link TaskEngine.submitMany} share. */
export interface SubmitManyOptions {
  owner: string;
  priority?: number;
  callbackUrl?: string;
  /**
   * The singleton key of each task, by index (null or absent for none). A
   * key given twice in the batch, or held by an unfinished task, fails the
   * whole batch: nothing is created.
   */
  singletonKeys?: ReadonlyArray<string | null | undefined>;
  /** Who submits, recorded in each `task.created`; {@link SYSTEM_ACTOR} when not given. */
  actor?: string;
}

/** Most inputs one {@link TaskEngine.submitMany} takes: its rows go in one statement. */
export const MAX_SUBMIT_MANY = 1_000;

export interface SubmitResult {
  task: TaskRecord;
  /** False when an earlier submit with the same idempotency key, or the holder of the singleton key, is returned. */
  created: boolean;
  /** Why an existing task is returned: the same idempotency key, or the same singleton key. Absent when created. */
  existing?: 'idempotency' | 'singleton';
}

/**
 * The scope of a caller who sees every owner's tasks (an administrator).
 * A symbol, not a reserved owner name: no owner string can ever mean it.
 */
export const ANY_OWNER: unique symbol = Symbol.for('stepwise:AnyOwner');

/** Whose tasks a call may see and act on: one owner's, or {@link ANY_OWNER}'s. */
export type OwnerScope = string | typeof ANY_OWNER;

/** The owner filter of a store query: undefined for {@link ANY_OWNER}. */
export function ownerFilter(scope: OwnerScope): string | undefined {
  return scope === ANY_OWNER ? undefined : scope;
}

export interface ListRequest {
  owner: OwnerScope;
  type?: string;
  status?: TaskStatus;
  limit?: number;
  cursor?: string;
}

/**
 * The kernel's facade: what transports (HTTP, a CLI, tests) call. Knows
 * nothing of Nest, HTTP or any concrete store or queue.
 */
export class TaskEngine {
  readonly events: EventRecorder;
  readonly worker: TaskWorker;
  readonly sweeper: Sweeper;
  readonly reconciler: Reconciler;
  /** Cron schedules: their passes (in processes that run worker steps) and their operations. */
  readonly scheduler: Scheduler;
  private started = false;

  constructor(readonly deps: EngineDeps) {
    this.events = new EventRecorder(deps);
    this.worker = new TaskWorker(
      deps,
      this.events,
      (id) => this.purge(id),
      (request) => this.submit(request),
      (id) => this.cancelChildren(id, 'system'),
    );
    this.sweeper = new Sweeper(deps, (id) => this.purge(id));
    this.reconciler = new Reconciler(deps);
    this.scheduler = new Scheduler(deps, (request) => this.submit(request));
  }

  definition(type: string): TaskDefinition {
    const definition = this.deps.registry.get(type);
    if (!definition) throw unknownTaskType(type);
    return definition;
  }

  /**
   * Validates and persists a task, then dispatches it. The row exists before
   * this resolves. With a tracer, inside a span whose context the row keeps.
   */
  submit(request: SubmitRequest): Promise<SubmitResult> {
    const tracer = this.deps.tracer;
    return tracer
      ? tracer.submit(request.type, (trace) => this.submitTraced(request, trace))
      : this.submitTraced(request);
  }

  private async submitTraced(request: SubmitRequest, trace: TraceCarrier = {}): Promise<SubmitResult> {
    const definition = this.definition(request.type);
    const input = await validateInput(definition, request.input);
    const now = this.deps.clock.now();
    const delayMs = submitDelay(request, now);
    checkSingleton(request);
    const record = { ...this.newTask(definition, request, input, now, delayMs), ...trace };
    const { event, deliveries } = this.created(record, request.actor);
    const { task, created } = await this.createWithinQuota(request.maxActive, record, event, deliveries);
    if (!created) {
      // Idempotency keys are per owner: another owner's task with the same key can only be a singleton key's holder.
      const replay =
        request.idempotencyKey !== undefined &&
        task.idempotencyKey === request.idempotencyKey &&
        task.owner === request.owner;
      if (!replay) return singletonHeld(task, request);
      return this.replay(task, request, record.requestFingerprint);
    }
    await this.events.fanOut(task, event);
    await wakeUp(this.deps, task, delayMs > 0 ? { delayMs } : {});
    return { task, created: true };
  }

  /** The store's create, under the owner's `activeTasks` quota when there is one. */
  private async createWithinQuota(
    maxActive: number | undefined,
    ...write: Parameters<TaskStore['create']>
  ): Promise<{ task: TaskRecord; created: boolean }> {
    const { store } = this.deps;
    if (maxActive === undefined) return store.create(...write);
    if (!store.createWithinQuota) {
      // A store of an older version: the count, then the create (concurrent submits may overshoot).
      const active = await store.countActive!(write[0].owner);
      if (active >= maxActive) throw activeTasksExceeded(maxActive, active);
      return store.create(...write);
    }
    const outcome = await store.createWithinQuota(write[0], maxActive, write[1], write[2]);
    if (outcome.task === null) throw activeTasksExceeded(maxActive, outcome.active);
    return outcome;
  }

  /**
   * Validates, persists and dispatches many tasks of one type at once: one
   * write for all the rows (with their steps and `task.created` events), one
   * round trip to the queue. All or nothing: an invalid input (every one is
   * reported, by index) or a failed write creates none; the rows exist before
   * this resolves. No idempotency keys: a batch is not an idempotent retry.
   * At most {@link MAX_SUBMIT_MANY} inputs a call. With a tracer, one span
   * for the batch, whose context every task keeps.
   */
  submitMany(type: string, inputs: readonly unknown[], options: SubmitManyOptions): Promise<TaskRecord[]> {
    const tracer = this.deps.tracer;
    if (!tracer) return this.submitManyTraced(type, inputs, options);
    return tracer.submit(type, (trace) => this.submitManyTraced(type, inputs, options, trace));
  }

  private async submitManyTraced(
    type: string,
    inputs: readonly unknown[],
    options: SubmitManyOptions,
    trace: TraceCarrier = {},
  ): Promise<TaskRecord[]> {
    const definition = this.definition(type);
    if (inputs.length > MAX_SUBMIT_MANY) {
      throw invalidInput(`At most ${MAX_SUBMIT_MANY} tasks a batch, not ${inputs.length}`);
    }
    const settled = await Promise.allSettled(inputs.map((input) => validateInput(definition, input)));
    const issues = settled.flatMap((result, i) => (result.status === 'rejected' ? issuesOf(result.reason, i) : []));
    if (issues.length > 0) {
      throw invalidInput(
        `Invalid input for task "${definition.name}": ${issues.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
        issues,
      );
    }
    const keys = options.singletonKeys ?? [];
    checkBatchSingletons(keys, inputs.length);
    const now = this.deps.clock.now();
    const { singletonKeys: _, actor, ...shared } = options;
    const writes = settled.map((result, i) => {
      const input = (result as PromiseFulfilledResult<unknown>).value;
      const request = { type, input, ...shared, ...(keys[i] ? { singletonKey: keys[i] } : {}) };
      const task = { ...this.newTask(definition, request, input, now), ...trace };
      return { task, ...this.created(task, actor) };
    });
    let tasks: TaskRecord[];
    try {
      tasks = await this.deps.store.createMany(writes);
    } catch (error) {
      if (!keys.some(Boolean)) throw error;
      // The store only says that a row could not be inserted; with singleton keys, the likely reason.
      throw conflict(
        `No task was created: a singleton key of the batch is held by an unfinished task of type "${type}" (or another row could not be written)`,
      );
    }
    for (const [i, task] of tasks.entries()) await this.events.fanOut(task, writes[i].event);
    await wakeUpMany(this.deps, tasks);
    return tasks;
  }

  /** The row of a new task: pending, due now, every step pending. */
  private newTask(
    definition: TaskDefinition,
    request: SubmitRequest,
    input: unknown,
    now: number,
    delayMs = 0,
  ): NewTask {
    const first = definition.steps[0];
    return {
      id: request.id ?? this.deps.newId(),
      type: definition.name,
      queue: definition.queue,
      owner: request.owner,
      status: 'pending',
      placement: first.on,
      priority: request.priority ?? definition.priority,
      input,
      output: null,
      resultFile: null,
      progress: 0,
      message: null,
      error: null,
      idempotencyKey: request.idempotencyKey ?? null,
      // Only a key needs it: the stored hash is what a reuse of the key is compared with.
      requestFingerprint: request.idempotencyKey
        ? (request.fingerprint ?? requestFingerprint(definition.name, request.input))
        : null,
      singletonKey: request.singletonKey ?? null,
      callbackUrl: request.callbackUrl ?? null,
      cancelRequested: false,
      pauseRequested: false,
      deleteRequested: false,
      timeoutMs: definition.timeoutMs ?? null,
      waitingFor: null,
      parentId: request.parentId ?? null,
      runAt: now + delayMs,
      deadlineAt: null,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      steps: definition.steps.map((s) => ({
        name: s.name,
        order: s.order,
        on: s.on,
        status: 'pending',
        attempts: 0,
        abandoned: 0,
        progress: 0,
        output: null,
        error: null,
        startedAt: null,
        finishedAt: null,
      })),
    };
  }

  /** A new task's `task.created` and the webhook deliveries announcing it. */
  private created(record: NewTask, actor = SYSTEM_ACTOR) {
    const draft: TaskRecord = { ...record, version: 1, leaseOwner: null, leaseExpiresAt: null };
    const event = this.events.build(draft, 'task.created', { actor });
    return { event, deliveries: this.events.deliveries(draft, [event]) };
  }

  async get(id: string, owner: OwnerScope): Promise<TaskRecord> {
    const task = await this.deps.store.get(id);
    // Another owner's task is indistinguishable from a missing one.
    if (!task || (owner !== ANY_OWNER && task.owner !== owner)) throw taskNotFound(id);
    return task;
  }

  /** The tasks spawned by the steps of task `id` (whose owner the caller checked), oldest first. */
  children(id: string): Promise<ChildTask[]> {
    return this.deps.store.findChildren(id);
  }

  async list(request: ListRequest): Promise<ListPage> {
    const limit = Math.min(Math.max(request.limit ?? 20, 1), 100);
    return this.deps.store.list({ ...request, owner: ownerFilter(request.owner), limit });
  }

  /** The task's log after `afterSeq` (every event, audit-only ones too), at most `limit` of them. */
  async listEvents(id: string, owner: OwnerScope, afterSeq?: number, limit?: number): Promise<TaskEvent[]> {
    await this.get(id, owner);
    return this.deps.store.listEvents(id, afterSeq, limit);
  }

  /**
   * Requests cancellation: a running step's signal fires (in whatever process
   * runs it), finished steps are compensated in reverse, the task ends `cancelled`.
   * `actor` is recorded in the `task.cancel_requested` event.
   */
  async cancel(id: string, owner: OwnerScope, actor = SYSTEM_ACTOR): Promise<TaskRecord> {
    const task = await this.get(id, owner);
    if (isTerminal(task.status)) throw conflict(`Task ${id} is already ${task.status}`, { status: task.status });
    if (!this.definition(task.type).cancellable) throw conflict(`Tasks of type "${task.type}" cannot be cancelled`);
    if (!task.cancelRequested) {
      const stopped = await this.requestStop(task, { cancel: true, delete: false }, actor);
      if (!stopped) {
        const now = (await this.deps.store.get(id))?.status ?? task.status;
        throw conflict(`Task ${id} is already ${now}`, { status: now });
      }
    }
    return task;
  }

  /**
   * Sets the cancel and/or delete request with its `task.cancel_requested`
   * in one statement; a waiting task has no runner to notice a new cancel,
   * so it runs here if we can claim it. False when the task had ended.
   */
  private async requestStop(
    task: TaskRecord,
    request: { cancel: boolean; delete: boolean },
    actor: string,
  ): Promise<boolean> {
    const flagged = { ...task, cancelRequested: task.cancelRequested || request.cancel };
    const event = this.events.build(flagged, 'task.cancel_requested', {
      actor,
      ...(request.delete ? { message: `delete requested by ${actor}` } : {}),
    });
    const deliveries = this.events.deliveries(flagged, [event]);
    const outcome = await this.deps.store.requestStop(task.id, { ...request, event, deliveries });
    if (!outcome) return false;
    Object.assign(task, {
      cancelRequested: flagged.cancelRequested,
      deleteRequested: task.deleteRequested || request.delete,
    });
    if (outcome.cancelled) {
      await this.events.fanOut(task, event);
      if (!this.hasLiveLease(task)) void this.worker.handle(task.id, task.placement);
      await this.cancelChildren(task.id, actor);
    }
    return true;
  }

  /** A cancelled task's unfinished children are cancelled too (and theirs): each compensates its own steps. */
  private async cancelChildren(parentId: string, actor: string): Promise<void> {
    for (const child of await this.deps.store.findChildren(parentId)) {
      if (isTerminal(child.status) || !this.deps.registry.get(child.type)?.cancellable) continue;
      const record = await this.deps.store.get(child.id);
      if (record && !record.cancelRequested) await this.requestStop(record, { cancel: true, delete: false }, actor);
    }
  }

  /**
   * Sends the signal `name` (declared by a step of the task's type, its
   * payload checked against that step's schema) to an unfinished task: it
   * is stored, and a task waiting for it is woken in the same transaction
   * and dispatched. A signal sent before its step waits is kept for it.
   * `actor` is recorded in its `task.signalled` event.
   */
  async signal(
    id: string,
    owner: OwnerScope,
    name: string,
    payload: unknown,
    actor = SYSTEM_ACTOR,
  ): Promise<TaskRecord> {
    const task = await this.get(id, owner);
    const schema = declaredSignal(this.definition(task.type), name);
    if (isTerminal(task.status)) throw conflict(`Task ${id} is already ${task.status}`, { status: task.status });
    const value = await validateSignal(schema, name, payload);
    const event = this.events.build(task, 'task.signalled', { actor, message: `signal ${name}` });
    const deliveries = this.events.deliveries(task, [event]);
    const delivered = await this.deps.store.deliverSignal(id, {
      ...{ name, payload: value, at: this.deps.clock.now() },
      ...{ event, deliveries },
    });
    if (!delivered) {
      const now = (await this.deps.store.get(id))?.status ?? task.status;
      throw conflict(`Task ${id} is already ${now}`, { status: now });
    }
    await this.events.fanOut(task, event);
    if (delivered.woken) await wakeUp(this.deps, task, { dedupeKey: String(delivered.version) });
    return this.get(id, owner);
  }

  /** Pauses between steps; a waiting task pauses at once. `actor` is recorded in `task.paused`. */
  async pause(id: string, owner: OwnerScope, actor = SYSTEM_ACTOR): Promise<TaskRecord> {
    await this.setPaused(id, owner, true, actor);
    return this.get(id, owner);
  }

  /** Resumes a paused task; `actor` is recorded in `task.resumed`. */
  async resume(id: string, owner: OwnerScope, actor = SYSTEM_ACTOR): Promise<TaskRecord> {
    const outcome = await this.setPaused(id, owner, false, actor);
    const resumed = await this.get(id, owner);
    if (outcome.before === 'paused') await this.dispatch(resumed);
    return resumed;
  }

  /**
   * One conditional statement with its event: right whatever the runner
   * writes meanwhile (its pause is conditional on the flag).
   */
  private async setPaused(id: string, owner: OwnerScope, paused: boolean, actor: string) {
    const task = await this.get(id, owner);
    // The event the move deserves, appended only if the status moves.
    const moved = { ...task, status: paused ? ('paused' as const) : ('pending' as const) };
    const event = this.events.build(moved, paused ? 'task.paused' : 'task.resumed', { actor });
    const deliveries = this.events.deliveries(moved, [event]);
    const outcome = isTerminal(task.status)
      ? null
      : await this.deps.store.setPaused(id, paused, this.deps.clock.now(), event, deliveries);
    if (!outcome) {
      const now = (await this.deps.store.get(id))?.status ?? task.status;
      throw conflict(`Task ${id} is already ${now}`, { status: now });
    }
    if (event.seq !== undefined) await this.events.fanOut(moved, event);
    return outcome;
  }

  /**
   * Deletes the task, its events, its webhook deliveries and its stored files.
   * A finished task goes at once (null). An unfinished one is cancelled
   * first, compensated, and deleted once it has ended: the answer is the
   * task with its requests set (a task that cannot be cancelled runs to its
   * end first), and `actor` is recorded in its `task.cancel_requested`. A
   * finished task's log goes with it: its delete is only in the host's logs.
   */
  async remove(id: string, owner: OwnerScope, actor = SYSTEM_ACTOR): Promise<TaskRecord | null> {
    const task = await this.get(id, owner);
    const cancel = this.definition(task.type).cancellable;
    if (isTerminal(task.status) || !(await this.requestStop(task, { cancel, delete: true }, actor))) {
      this.deps.logger.log(`task ${id} (${task.type}) of ${task.owner} deleted by ${actor}`);
      await this.purge(id);
      return null;
    }
    return task;
  }

  /**
   * Starts the worker for the given placements, the sweeper, and the
   * scheduler where worker steps run (declared schedules are checked in
   * every process: a bad one throws a `TaskDefinitionError`).
   */
  async start(placements: Placement[]): Promise<void> {
    if (this.started) return;
    await this.scheduler.start(placements.includes('worker'));
    this.started = true;
    if (placements.length > 0) await this.worker.start(placements);
    this.sweeper.start();
    this.reconciler.start();
  }

  /** Graceful stop: see {@link TaskWorker.stop}. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.scheduler.stop();
    await this.sweeper.stop();
    await this.reconciler.stop();
    // First stop taking wake-ups: those of the tasks handed back below must reach another process.
    await this.deps.queue.stopConsuming();
    await this.worker.stop(this.deps.settings.shutdownGraceMs);
    await this.events.hooksSettled();
    await this.deps.queue.close();
    await this.deps.bus.close();
  }

  /**
   * Records that `actor` read the result file of `task` (`task.downloaded`,
   * with `detail`, e.g. the byte range). Its own append, off the download's
   * path: the caller does not await it, and a failed append is only logged.
   */
  recordDownload(task: TaskRecord, actor: string, detail?: string): void {
    const message = `downloaded by ${actor}${detail ? ` (${detail})` : ''}`;
    this.events
      .record(task, 'task.downloaded', { actor, message })
      .catch((error) =>
        this.deps.logger.warn(`task ${task.id}: the download by ${actor} was not recorded: ${String(error)}`),
      );
  }

  /**
   * Runs a `failed` task again from its first unfinished step: completed
   * steps keep their outputs (those compensated run again), attempts start
   * over, the task timeout too. One conditional statement: of two retries
   * one wins, the other is a conflict. `actor` is recorded in the event.
   */
  async retry(id: string, owner: OwnerScope, actor = SYSTEM_ACTOR): Promise<TaskRecord> {
    const task = await this.get(id, owner);
    if (task.status !== 'failed') {
      throw conflict(`Task ${id} is ${task.status}: only a failed task can be retried`, { status: task.status });
    }
    const definition = this.definition(task.type);
    const kept = new Set(task.steps.filter((s) => s.status === 'completed').map((s) => s.name));
    const next = definition.steps.find((s) => !kept.has(s.name)) ?? definition.steps[0];
    const reopened: TaskRecord = { ...task, status: 'pending', placement: next.on, error: null, finishedAt: null };
    const event = this.events.build(reopened, 'task.retried', { message: `retried by ${actor}`, actor });
    const ok = await this.deps.store.retryFailed(id, {
      now: this.deps.clock.now(),
      placement: next.on,
      progress: kept.size / definition.steps.length,
      event,
      deliveries: this.events.deliveries(reopened, [event]),
    });
    if (!ok) {
      const now = await this.get(id, owner);
      if (now.status === 'failed' && now.singletonKey !== null) {
        throw conflict(`Task ${id} cannot be retried: another unfinished task holds its singletonKey`, {
          status: 'failed',
        });
      }
      throw conflict(`Task ${id} was retried already`, { status: 'pending' });
    }
    const retried = await this.get(id, owner);
    await this.events.fanOut(retried, event);
    await this.dispatch(retried);
    return retried;
  }

  /**
   * Retries the failed tasks matching `query` (each once, even if it fails
   * again meanwhile), those `allow` accepts when it is given. Returns how
   * many were retried.
   */
  async retryFailed(
    query: Omit<FinishedQuery, 'limit' | 'statuses' | 'owner' | 'after'> & { owner: OwnerScope },
    actor = SYSTEM_ACTOR,
    allow?: TaskFilter,
  ): Promise<number> {
    let retried = 0;
    await this.eachFinished({ ...query, statuses: ['failed'] }, allow, async (taskId) => {
      // A retry that lost a race to another one is not counted.
      retried += await this.retry(taskId, query.owner, actor).then(
        () => 1,
        () => 0,
      );
      return true;
    });
    return retried;
  }

  /**
   * Counts of the tasks in `owner`'s scope (every owner's for
   * {@link ANY_OWNER} or undefined) by status and by type, and how long the
   * oldest pending task has waited.
   */
  async stats(owner: OwnerScope | undefined): Promise<TaskStatsSummary> {
    const filter = owner === undefined ? undefined : ownerFilter(owner);
    const { counts, oldestPendingAt } = await this.deps.store.stats(filter === undefined ? {} : { owner: filter });
    const byStatus: Partial<Record<TaskStatus, number>> = {};
    const byType: Record<string, Partial<Record<TaskStatus, number>>> = {};
    let total = 0;
    for (const { type, status, count } of counts) {
      total += count;
      byStatus[status] = (byStatus[status] ?? 0) + count;
      (byType[type] ??= {})[status] = count;
    }
    const oldestPendingAgeMs = oldestPendingAt === null ? null : Math.max(0, this.deps.clock.now() - oldestPendingAt);
    return { total, byStatus, byType, oldestPendingAgeMs };
  }

  /**
   * Deletes finished tasks matching `query` (with their files, events and
   * webhook rows), in batches; never an unfinished one, nor one `allow`
   * refuses when it is given. Returns how many.
   */
  async purgeFinished(
    query: Omit<FinishedQuery, 'limit' | 'owner' | 'after'> & { owner: OwnerScope },
    allow?: TaskFilter,
  ): Promise<number> {
    let deleted = 0;
    await this.eachFinished(query, allow, async (id) => {
      await this.purge(id);
      deleted++;
      return false;
    });
    return deleted;
  }

  /**
   * Calls `act` once for each finished task matching `query` that `allow`
   * accepts, a page at a time in (finishedAt, id) order, each page after the
   * last: every task is read once however many there are. `act` answers
   * whether the task may match again (a retried task that fails again
   * finishes later, so a later page meets it): those are remembered, and
   * not acted on twice.
   */
  private async eachFinished(
    query: Omit<FinishedQuery, 'limit' | 'owner' | 'after'> & { owner: OwnerScope },
    allow: TaskFilter | undefined,
    act: (id: string) => Promise<boolean>,
  ): Promise<void> {
    const again = new Set<string>();
    let after: FinishedTask | undefined;
    for (;;) {
      const page = await this.deps.store.findFinished({
        ...query,
        owner: ownerFilter(query.owner),
        limit: PURGE_BATCH,
        ...(after ? { after } : {}),
      });
      for (const { id } of page) {
        if (again.has(id)) continue;
        const task = allow ? await this.deps.store.get(id) : null;
        const allowed = !allow || (task !== null && (await allow(task)));
        if (allowed && (await act(id))) again.add(id);
      }
      if (page.length < PURGE_BATCH) return;
      after = page[page.length - 1];
    }
  }

  private async purge(id: string): Promise<void> {
    await this.deps.store.delete(id);
    await this.deps.storage.deletePrefix(`tasks/${id}/`);
  }

  private async replay(
    existing: TaskRecord,
    request: SubmitRequest,
    fingerprint: string | null,
  ): Promise<SubmitResult> {
    if (existing.type !== request.type) {
      throw conflict(`Idempotency-Key "${request.idempotencyKey}" was used for a task of type "${existing.type}"`);
    }
    // A task recorded without a fingerprint (before they were kept) replays as it always did.
    if (existing.requestFingerprint !== null && existing.requestFingerprint !== fingerprint) {
      throw idempotencyKeyReused(request.idempotencyKey ?? '');
    }
    return { task: existing, created: false, existing: 'idempotency' };
  }

  private hasLiveLease(task: TaskRecord): boolean {
    return task.leaseOwner !== null && (task.leaseExpiresAt ?? 0) > this.deps.clock.now();
  }

  private dispatch(task: TaskRecord): Promise<void> {
    return wakeUp(this.deps, task);
  }
}

/** A submit's singleton key and policy, checked: printable, at most {@link MAX_SINGLETON_KEY_LENGTH} characters. */
function checkSingleton({ singletonKey, singleton }: SubmitRequest): void {
  if (singleton !== undefined && singleton !== 'existing' && singleton !== 'conflict') {
    throw invalidInput(`singleton must be 'existing' or 'conflict'`, [
      { field: 'singleton', message: "must be 'existing' or 'conflict'" },
    ]);
  }
  if (singletonKey !== undefined) checkSingletonKey(singletonKey, 'singletonKey');
}

function checkSingletonKey(key: unknown, field: string): void {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > MAX_SINGLETON_KEY_LENGTH ||
    !SINGLETON_KEY.test(key)
  ) {
    const message = `must be 1 to ${MAX_SINGLETON_KEY_LENGTH} printable characters`;
    throw invalidInput(`${field} ${message}`, [{ field, message }]);
  }
}

/** The singleton keys of a batch, checked one by one, and no key twice. */
function checkBatchSingletons(keys: ReadonlyArray<string | null | undefined>, count: number): void {
  if (keys.length > count) throw invalidInput(`${keys.length} singleton keys for ${count} tasks`);
  const seen = new Map<string, number>();
  keys.forEach((key, i) => {
    if (key === null || key === undefined) return;
    checkSingletonKey(key, `singletonKeys[${i}]`);
    const first = seen.get(key);
    if (first !== undefined) {
      throw invalidInput(`singletonKey "${key}" is given twice in the batch (tasks ${first} and ${i})`, [
        { field: `singletonKeys[${i}]`, message: `repeats singletonKeys[${first}]` },
      ]);
    }
    seen.set(key, i);
  });
}

/**
 * The answer to a submit whose singleton key an unfinished task holds: that
 * task, or a conflict when asked for one. Another owner's holder is never
 * shown: a conflict, without its id.
 */
function singletonHeld(holder: TaskRecord, request: SubmitRequest): SubmitResult {
  const message = `singletonKey "${request.singletonKey}" is held by an unfinished task of type "${holder.type}"`;
  if (holder.owner !== request.owner) throw conflict(message);
  if (request.singleton === 'conflict') {
    throw conflict(`${message}: ${holder.id}`, { taskId: holder.id, status: holder.status });
  }
  return { task: holder, created: false, existing: 'singleton' };
}

/** The delay a submit asks for, checked: within a year, one of `runAt` and `delayMs`. */
function submitDelay({ runAt, delayMs }: SubmitRequest, now: number): number {
  if (runAt !== undefined && delayMs !== undefined) throw invalidInput('Give runAt or delayMs, not both');
  const delay = runAt !== undefined ? runAt - now : (delayMs ?? 0);
  if (!Number.isFinite(delay) || (delayMs !== undefined && (!Number.isSafeInteger(delayMs) || delayMs < 0))) {
    throw invalidInput(runAt !== undefined ? 'runAt must be a time' : 'delayMs must be an integer >= 0');
  }
  if (delay > MAX_SUBMIT_DELAY_MS) throw invalidInput('A task can be scheduled at most a year ahead');
  return Math.max(0, Math.round(delay));
}

/** The field issues of input `index`'s validation error, named `[index].field`; any other error is thrown. */
function issuesOf(error: unknown, index: number): FieldIssue[] {
  if (!(error instanceof TaskOperationError) || error.kind !== 'invalid_input') throw error;
  const details = Array.isArray(error.details) ? (error.details as FieldIssue[]) : [];
  return details.map((d) => ({ field: `[${index}].${d.field}`, message: d.message }));
}
