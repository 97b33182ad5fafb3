import {
  In,
  Not,
  type DataSource,
  type EntityManager,
  type FindOptionsWhere,
  type QueryDeepPartialEntity,
  type UpdateQueryBuilder,
} from 'typeorm';
import {
  isTerminal,
  signalOf,
  signalWait,
  TERMINAL_STATUSES,
  type TaskEvent,
  type TaskRecord,
  type TaskStatus,
} from '../../model';
import type {
  ClaimRequest,
  Claimed,
  DueTask,
  Held,
  HeldQuery,
  LimitedClaimRequest,
  DuePage,
  DueQuery,
  LeaseState,
  ListPage,
  ListQuery,
  NewTask,
  NewTaskWrite,
  NewWebhookDelivery,
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
import { pauseMoved } from '../../ports';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskStepEntity } from './entities/task-step.entity';
import { TaskEntity, type TaskRow } from './entities/task.entity';
import { forgetDeliveries, insertDeliveries } from './delivery-writes';
import { gateFor, type Gate } from './serial-gate';
import { requestStop, setPaused, setStopFlags, unfinishedTask } from './request-statements';
import { hotPathStatements, type HotPathStatement } from './hot-path-statements';
import { sqliteTransaction } from './sqlite-transaction';
import { claimed, fromRawTask, jsonParam } from './raw-rows';
import {
  childrenOf,
  deleteSignals,
  insertSignal,
  lockHeld,
  lockTask,
  lockUnfinished,
  takeSignal,
  unfinishedChild,
  untakenSignal,
  wakeParent,
  wakeWaiting,
} from './wait-statements';
import { dialectOf, type SqlDialect } from './sql-statement';
import { toEventRow } from './task-mapper';
import { eventsAfter, findDueTasks, findFinishedIds, findTask, listTasks } from './task-queries';
import { countActiveTasks, findFinishedTasks, sumResultBytes, taskStats } from './task-stats-queries';
import { reopenFailedTask, reopenSteps, retryFailedTask } from './retry-statement';
import { isUniqueViolation } from './unique-violation';
import { claimRow, claimTasks, startedStepEvent, startNextStep, stepsOf } from './claim-statement';
import {
  appendEventWithDeliveries,
  createTask,
  insertEvents,
  insertTask,
  renewLease,
  TERMINAL_SQL,
  saveHeldTask,
  saveProgress,
  updateHeldTask,
  updateProgress,
  updateStepProgress,
  upsertSteps,
  type Built,
} from './task-writes';
import { createTasks, saveHeldTasks, type CreateItem, type SaveItem } from './batch-statements';
import { GroupCommit } from '../group-commit';
import { limitedClaim, runPlan, runPlanAsync } from './limited-claim';
import { wakeHeldTasks } from './limit-statements';

type TaskChanges = QueryDeepPartialEntity<TaskRow>;
const NOT_HELD: LeaseState = { held: false, cancelRequested: false, pauseRequested: false, deleteRequested: false };

/** The per-owner lock that makes a quota's count and the create one step (PostgreSQL). */
const QUOTA_LOCK = 'SELECT pg_advisory_xact_lock(hashtext($1))';
/**
 * TaskStore on TypeORM, for SQLite (embedded) and PostgreSQL (distributed).
 * Every write after a claim is one conditional UPDATE, so a worker that lost
 * its lease changes nothing; the semantics are those of `MemoryTaskStore`.
 */
export class TypeOrmTaskStore implements TaskStore {
  private readonly gate: Gate;
  private readonly d: SqlDialect;
  private readonly statement: HotPathStatement;
  /** PostgreSQL: the creates, saves and claims of one moment, each kind as one statement (group commit). */
  private readonly creates: GroupCommit<CreateItem, number[] | null>;
  private readonly saves: GroupCommit<SaveItem, { version: number; seqs: number[] } | null>;
  private readonly claims = new Map<string, GroupCommit<ClaimRequest, Claimed | null>>();

  /**
   * @param options.clock whose clock rules leases and due times on PostgreSQL:
   *   the database's (default; every process shares it) or the caller's `now`
   *   (for tests that step a manual clock). SQLite always uses the caller's.
   */
  constructor(
    private readonly dataSource: DataSource,
    options: { clock?: 'database' | 'caller' } = {},
  ) {
    this.gate = gateFor(dataSource);
    this.d = dialectOf(dataSource, options.clock);
    this.statement = hotPathStatements(dataSource, this.d.postgres);
    this.creates = new GroupCommit((items) => this.createBatch(items), { ...GROUP_COMMIT, key: (i) => i.task.id });
    this.saves = new GroupCommit((items) => this.saveBatch(items), { ...GROUP_COMMIT, key: (i) => i.task.id });
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  create(
    task: NewTask,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<{ task: TaskRecord; created: boolean }> {
    const events = event ? [event] : [];
    return this.gate(async () => {
      // A singleton key's holder may end between the failed insert and the lookup: then the key is free, try again.
      for (let attempt = 1; ; attempt++) {
        const seqs = await this.insertOne(task, events, deliveries);
        if (seqs !== null) {
          if (event) event.seq = seqs[0];
          return { task: createdRecord(task), created: true };
        }
        // Lost to an existing task with the same key (this process's or another's): that one is the answer.
        const winner = await this.twinOf(task);
        if (winner) return { task: winner, created: false };
        if (!task.singletonKey || attempt === 3) {
          throw new Error(`task ${task.id} was not inserted and has no idempotent or singleton twin`);
        }
      }
    });
  }

  createWithinQuota(
    task: NewTask,
    maxActive: number,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<{ task: TaskRecord; created: boolean } | { task: null; active: number }> {
    const events = event ? [event] : [];
    return this.gate(async () => {
      const outcome = await this.dataSource.transaction(
        async (em): Promise<{ active: number } | { seqs: number[] | null }> => {
          // The owner's submits under a quota queue here (SQLite: the gate serialises them already).
          if (this.d.postgres) await em.query(QUOTA_LOCK, [`stepwise:quota:${task.owner}`]);
          const active = await countActiveTasks(em, task.owner);
          if (active >= maxActive) return { active };
          return { seqs: await this.insertIn(em, task, events, deliveries) };
        },
      );
      if ('active' in outcome) return { task: null, active: outcome.active };
      if (outcome.seqs !== null) {
        if (event) event.seq = outcome.seqs[0];
        return { task: createdRecord(task), created: true };
      }
      const winner = await this.twinOf(task);
      if (!winner) throw new Error(`task ${task.id} was not inserted and has no idempotent or singleton twin`);
      return { task: winner, created: false };
    });
  }

  /** The task that holds `task`'s idempotency key, or its singleton key while unfinished. */
  private async twinOf(task: NewTask): Promise<TaskRecord | null> {
    return (
      (task.idempotencyKey && (await findTask(this.em, { owner: task.owner, idempotencyKey: task.idempotencyKey }))) ||
      (task.singletonKey && (await findTask(this.em, unfinishedWith(task.type, task.singletonKey)))) ||
      null
    );
  }

  /** Inserts one task with what goes with it: its events' ids, or null when a unique key was taken. */
  private insertOne(
    task: NewTask,
    events: TaskEvent[],
    deliveries: readonly NewWebhookDelivery[],
  ): Promise<number[] | null> {
    if (this.d.postgres) return this.creates.submit({ task, events, deliveries });
    return this.dataSource.transaction((em) => this.insertIn(em, task, events, deliveries));
  }

  /** {@link insertOne} in a transaction of the caller's. */
  private async insertIn(
    em: EntityManager,
    task: NewTask,
    events: TaskEvent[],
    deliveries: readonly NewWebhookDelivery[],
  ): Promise<number[] | null> {
    if (this.d.postgres) {
      const [row] = await run(em, createTask(this.d, task, events, deliveries));
      return row ? toSeqs(row.seqs) : null;
    }
    const insert = this.d.statement();
    const text = insertTask(this.d, insert, task);
    const inserted = (await em.query(`${text} RETURNING id`, insert.params)) as unknown[];
    if (inserted.length === 0) return null;
    if (task.steps.length) await run(em, upsertSteps(this.d, task.id, task.steps));
    const ids = events.length ? eventIds(await run(em, insertEvents(this.d, task.id, events))) : [];
    if (deliveries.length) await run(em, insertDeliveries(this.d, task.id, deliveries));
    return ids;
  }

  createMany(writes: readonly NewTaskWrite[]): Promise<TaskRecord[]> {
    if (writes.length === 0) return Promise.resolve([]);
    const items = writes.map(({ task, event, deliveries = [] }) => ({
      task,
      events: event ? [event] : [],
      deliveries,
    }));
    return this.gate(async () => {
      let seqs: number[][];
      if (this.d.postgres) {
        const rows = byId(await this.statement(createTasks(this.d, items, 'fail')));
        seqs = items.map(({ task }) => toSeqs(rows.get(task.id)?.seqs));
      } else {
        seqs = await this.dataSource.transaction(async (em) => {
          const all: number[][] = [];
          for (const { task, events, deliveries } of items) {
            const insert = this.d.statement();
            const inserted = (await em.query(
              `${insertTask(this.d, insert, task)} RETURNING id`,
              insert.params,
            )) as unknown[];
            if (inserted.length === 0)
              throw new Error(`task ${task.id}: its id, idempotency key or singleton key is taken`);
            if (task.steps.length) await run(em, upsertSteps(this.d, task.id, task.steps));
            all.push(events.length ? eventIds(await run(em, insertEvents(this.d, task.id, events))) : []);
            if (deliveries.length) await run(em, insertDeliveries(this.d, task.id, deliveries));
          }
          return all;
        });
      }
      return items.map(({ task, events }, i) => {
        events.forEach((event, j) => (event.seq = seqs[i][j]));
        return createdRecord(task);
      });
    });
  }

  get(id: string): Promise<TaskRecord | null> {
    return this.gate(() => findTask(this.em, { id }));
  }

  findByIdempotencyKey(owner: string, key: string): Promise<TaskRecord | null> {
    return this.gate(() => findTask(this.em, { owner, idempotencyKey: key }));
  }

  list(query: ListQuery): Promise<ListPage> {
    return this.gate(() => listTasks(this.em, query));
  }

  claim(request: ClaimRequest): Promise<Claimed | null> {
    return this.gate(async () => {
      if (this.d.postgres) return this.claimsLike(request).submit(request);
      return sqliteTransaction(this.dataSource, (run) => {
        const [row] = run(claimRow(this.d, request));
        if (!row) return null;
        let step: Raw | null = null;
        let event: Raw | null = null;
        if (Number(row.starts)) {
          [step] = run(startNextStep(this.d, request.taskId, request.now));
          [event] = run(startedStepEvent(this.d, request.taskId, String(step.name), request.now));
        }
        return claimed(fromRawTask(row, run(stepsOf(this.d, request.taskId))), step, event);
      });
    });
  }

  async claimWithinLimits(request: LimitedClaimRequest): Promise<Claimed | Held | null> {
    // Under `ownerMax` every type is limited: the owner's running tasks of all types are counted.
    const everyType = request.ownerMax !== undefined;
    const limited = new Set(Object.keys(request.limits));
    const plain = request.types?.filter((type) => !limited.has(type));
    // The plain claim first, unchanged (and batched): a task of a type without limits pays nothing more.
    const plainTried = !everyType && (limited.size === 0 || (plain !== undefined && plain.length > 0));
    if (plainTried) {
      const won = await this.claim({ ...request, types: limited.size === 0 ? request.types : plain });
      if (won || limited.size === 0) return won;
    }
    if (!everyType && request.types && !request.types.some((type) => limited.has(type))) return null;
    const plan = () => limitedClaim(this.d, request, plainTried);
    return this.gate(() =>
      this.d.postgres
        ? this.dataSource.transaction((em) => runPlanAsync(plan(), (b) => run(em, b)))
        : Promise.resolve(sqliteTransaction(this.dataSource, (exec) => runPlan(plan(), exec))),
    );
  }

  wakeHeld(query: HeldQuery): Promise<DueTask[]> {
    const statement = wakeHeldTasks(this.d, query);
    return this.gate(async () =>
      (this.d.postgres
        ? await run(this.em, statement)
        : sqliteTransaction(this.dataSource, (exec) => exec(statement))
      ).map((row) => ({
        id: String(row.id),
        queue: String(row.queue),
        placement: row.placement as DueTask['placement'],
        priority: Number(row.priority),
        version: Number(row.version),
      })),
    );
  }

  renewLease(taskId: string, workerId: string, leaseMs: number, now: number): Promise<LeaseState> {
    return this.gate(async () => {
      const { sql, params } = renewLease(this.d, taskId, workerId, leaseMs, now);
      const [flags] = (await this.statement({ sql, params })) as Array<Record<string, unknown>>;
      if (!flags) return NOT_HELD;
      return {
        held: true,
        cancelRequested: Boolean(flags.cancel_requested),
        pauseRequested: Boolean(flags.pause_requested),
        deleteRequested: Boolean(flags.delete_requested),
      };
    });
  }

  save(task: TaskRecord, workerId: string, change: TaskChange = {}): Promise<boolean> {
    const steps = task.steps.filter((s) => change.steps?.includes(s.name));
    const events = change.events ?? [];
    const deliveries = change.deliveries ?? [];
    return this.gate(async () => {
      let result: { version: number; seqs: number[] } | null;
      if (task.parentId && isTerminal(task.status)) {
        result = await this.dataSource.transaction((em) => this.endChild(em, task, workerId, change, steps));
      } else if (this.d.postgres) {
        const { runAfterMs, whilePauseRequested } = change;
        result = await this.saves.submit({
          task,
          workerId,
          steps,
          events,
          deliveries,
          runAfterMs,
          whilePauseRequested,
        });
      } else {
        const write = async (em: EntityManager) => {
          const update = this.d.statement();
          const text = updateHeldTask(this.d, update, task, workerId, change.runAfterMs, change.whilePauseRequested);
          const [row] = (await em.query(`${text} RETURNING version`, update.params)) as Array<{ version: unknown }>;
          if (!row) return null;
          if (steps.length) await run(em, upsertSteps(this.d, task.id, steps));
          const seqs = events.length ? eventIds(await run(em, insertEvents(this.d, task.id, events))) : [];
          if (deliveries.length) await run(em, insertDeliveries(this.d, task.id, deliveries));
          return { version: Number(row.version), seqs };
        };
        // A lone UPDATE is atomic: the transaction is only paid for when steps, events or deliveries go with it.
        const alone = !steps.length && !events.length && !deliveries.length;
        result = alone ? await write(this.em) : await this.dataSource.transaction(write);
      }
      if (result === null) return false;
      task.version = result.version;
      events.forEach((event, i) => (event.seq = result!.seqs[i]));
      return true;
    });
  }

  /**
   * A child's terminal write, then, in its transaction, the wake of its
   * parent when that waits for its children and none is unfinished: the
   * parent's row locked first, so that the check sees every child that ended
   * before (two children ending at once: the second sees the first).
   */
  private async endChild(
    em: EntityManager,
    task: TaskRecord,
    workerId: string,
    change: TaskChange,
    steps: TaskRecord['steps'],
  ): Promise<{ version: number; seqs: number[] } | null> {
    const update = this.d.statement();
    const text = updateHeldTask(this.d, update, task, workerId, change.runAfterMs, change.whilePauseRequested);
    const [row] = await run(em, { sql: `${text} RETURNING version`, params: update.params }, true);
    if (!row) return null;
    if (steps.length) await run(em, upsertSteps(this.d, task.id, steps));
    const events = change.events ?? [];
    const seqs = events.length ? eventIds(await run(em, insertEvents(this.d, task.id, events))) : [];
    if (change.deliveries?.length) await run(em, insertDeliveries(this.d, task.id, change.deliveries));
    const parentId = task.parentId!;
    await run(em, lockTask(this.d, parentId));
    await run(em, wakeParent(this.d, parentId, task.updatedAt));
    return { version: Number(row.version), seqs };
  }

  findChildren(parentId: string): Promise<ChildTask[]> {
    return this.gate(async () => {
      const rows = await run(this.em, childrenOf(this.d, parentId));
      return rows.map((r) => ({
        id: String(r.id),
        type: String(r.type),
        status: r.status as TaskStatus,
        output: typeof r.output === 'string' ? JSON.parse(r.output) : null,
        error: typeof r.error === 'string' ? JSON.parse(r.error) : null,
        createdAt: Number(r.created_at),
      }));
    });
  }

  saveProgress(
    taskId: string,
    workerId: string,
    change: ProgressChange,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<boolean> {
    const events = event ? [event] : [];
    return this.gate(async () => {
      let seqs: number[] | null;
      if (this.d.postgres) {
        const { sql, params } = saveProgress(this.d, taskId, workerId, change, events, deliveries);
        const [row] = (await this.statement({ sql, params })) as Array<{ seqs: unknown }>;
        seqs = row ? toSeqs(row.seqs) : null;
      } else {
        seqs = await this.dataSource.transaction(async (em) => {
          const update = this.d.statement();
          const text = updateProgress(update, taskId, workerId, change);
          if (((await em.query(`${text} RETURNING id`, update.params)) as unknown[]).length === 0) return null;
          const step = this.d.statement();
          await em.query(updateStepProgress(step, taskId, change), step.params);
          const ids = events.length ? eventIds(await run(em, insertEvents(this.d, taskId, events))) : [];
          if (deliveries.length) await run(em, insertDeliveries(this.d, taskId, deliveries));
          return ids;
        });
      }
      if (seqs === null) return false;
      if (event) event.seq = seqs[0];
      return true;
    });
  }

  setPaused(
    taskId: string,
    paused: boolean,
    now: number,
    event?: TaskEvent,
    deliveries: readonly NewWebhookDelivery[] = [],
  ): Promise<PauseOutcome | null> {
    return this.gate(async () => {
      if (this.d.postgres) {
        const [row] = await this.statement(setPaused(this.d, taskId, paused, now, event, deliveries));
        if (!row) return null;
        if (event && row.seq !== null) event.seq = Number(row.seq);
        return { before: row.before as TaskStatus, after: row.after as TaskStatus };
      }
      return sqliteTransaction(this.dataSource, (run) => {
        const [read] = run(unfinishedTask(this.d, taskId));
        const [row] = run(setPaused(this.d, taskId, paused, now));
        if (!read || !row) return null;
        const outcome = { before: read.status as TaskStatus, after: row.after as TaskStatus };
        const moved = pauseMoved(paused, outcome);
        if (moved && event) {
          event.seq = eventIds(run(insertEvents(this.d, taskId, [event])))[0];
          if (deliveries.length) run(insertDeliveries(this.d, taskId, deliveries));
        }
        return outcome;
      });
    });
  }

  setFlags(taskId: string, flags: { cancelRequested?: boolean; pauseRequested?: boolean }): Promise<void> {
    const set = definedOnly({ cancelRequested: flags.cancelRequested, pauseRequested: flags.pauseRequested });
    if (Object.keys(set).length === 0) return Promise.resolve();
    return this.gate(async () => {
      // Flags are orthogonal to the lease holder's writes: no version bump.
      await this.updateTask(this.em, set).where('id = :taskId', { taskId }).execute();
    });
  }

  requestStop(taskId: string, request: StopRequest): Promise<{ cancelled: boolean } | null> {
    return this.gate(async () => {
      if (this.d.postgres) {
        const [row] = await this.statement(requestStop(this.d, taskId, request));
        if (!row) return null;
        if (request.event && row.seq !== null) request.event.seq = Number(row.seq);
        return { cancelled: request.cancel && !row.was_cancel_requested };
      }
      return sqliteTransaction(this.dataSource, (run) => {
        const [read] = run(unfinishedTask(this.d, taskId));
        if (!read) return null;
        run(setStopFlags(this.d, taskId, request));
        const cancelled = request.cancel && !Number(read.cancel_requested);
        if (cancelled && request.event) {
          request.event.seq = eventIds(run(insertEvents(this.d, taskId, [request.event])))[0];
          if (request.deliveries?.length) run(insertDeliveries(this.d, taskId, request.deliveries));
        }
        return { cancelled };
      });
    });
  }

  suspend(task: TaskRecord, workerId: string, request: SuspendRequest): Promise<SuspendOutcome> {
    const steps = task.steps.filter((s) => request.steps.includes(s.name));
    const events = request.events;
    const deliveries = request.deliveries ?? [];
    const waiting: TaskRecord = { ...task, status: 'waiting', leaseOwner: null, leaseExpiresAt: null };
    return this.gate(async () => {
      const outcome = await this.dataSource.transaction(async (em): Promise<SuspendOutcome | number> => {
        if ((await run(em, lockHeld(this.d, task.id, workerId))).length === 0) return 'lost';
        const signal = signalOf(request.waitingFor);
        if (signal !== null && (await run(em, untakenSignal(this.d, task.id, signal))).length > 0) return 'ready';
        if (request.waitingFor === 'children' && (await run(em, unfinishedChild(this.d, task.id))).length === 0) {
          return 'ready';
        }
        const update = this.d.statement();
        const text = updateHeldTask(this.d, update, waiting, workerId, request.runAfterMs, false, request.waitingFor);
        const [row] = await run(em, { sql: `${text} RETURNING version`, params: update.params }, true);
        if (steps.length) await run(em, upsertSteps(this.d, task.id, steps));
        const seqs = events.length ? eventIds(await run(em, insertEvents(this.d, task.id, events))) : [];
        if (deliveries.length) await run(em, insertDeliveries(this.d, task.id, deliveries));
        events.forEach((event, i) => (event.seq = seqs[i]));
        return Number(row.version);
      });
      if (typeof outcome !== 'number') return outcome;
      task.version = outcome;
      return 'waiting';
    });
  }

  takeSignal(taskId: string, name: string, step: string): Promise<{ payload: unknown } | null> {
    return this.gate(async () => {
      const [row] = await run(this.em, takeSignal(this.d, taskId, name, step));
      if (!row) return null;
      return { payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : null };
    });
  }

  deliverSignal(taskId: string, signal: NewSignal): Promise<SignalDelivered | null> {
    return this.gate(() =>
      this.dataSource.transaction(async (em) => {
        const [task] = await run(em, lockUnfinished(this.d, taskId));
        if (!task) return null;
        await run(em, insertSignal(this.d, taskId, signal.name, jsonParam(signal.payload), signal.at));
        const [woken] = await run(em, wakeWaiting(this.d, taskId, signalWait(signal.name), signal.at));
        if (signal.event) {
          signal.event.seq = eventIds(await run(em, insertEvents(this.d, taskId, [signal.event])))[0];
          if (signal.deliveries?.length) await run(em, insertDeliveries(this.d, taskId, signal.deliveries));
        }
        return { woken: woken !== undefined, version: Number(woken?.version ?? task.version) };
      }),
    );
  }

  findDeleteRequested(limit: number): Promise<string[]> {
    return this.gate(async () => {
      const rows = (await this.dataSource.query(
        `SELECT id FROM stepwise_tasks WHERE delete_requested = TRUE AND status IN ${TERMINAL_SQL} ORDER BY id LIMIT ${Math.max(0, Math.floor(limit))}`,
      )) as Array<{ id: string }>;
      return rows.map((r) => r.id);
    });
  }

  delete(taskId: string): Promise<void> {
    return this.gate(() =>
      this.dataSource.transaction(async (em) => {
        // The task row first: its lock waits out a write in flight, whose events and deliveries the
        // statements below then see (READ COMMITTED); a write after it finds no task and adds none.
        await em.delete(TaskEntity, { id: taskId });
        await em.delete(TaskStepEntity, { taskId });
        await em.delete(TaskEventEntity, { taskId });
        await run(em, deleteSignals(this.d, taskId));
        for (const statement of forgetDeliveries(this.d, taskId)) await run(em, statement);
      }),
    );
  }

  findDue(query: DueQuery): Promise<DuePage> {
    return this.gate(() => findDueTasks(this.em, query, { databaseClock: this.d.databaseClock }));
  }

  retryFailed(taskId: string, request: RetryRequest): Promise<boolean> {
    return this.reopen(taskId, request).catch((error: unknown) => {
      // A submit holding the task's singleton key committed while the reopen waited on the index: the task stays failed.
      if (isUniqueViolation(error)) return false;
      throw error;
    });
  }

  private reopen(taskId: string, request: RetryRequest): Promise<boolean> {
    return this.gate(async () => {
      if (this.d.postgres) {
        const [row] = await this.statement(retryFailedTask(this.d, taskId, request));
        if (!row) return false;
        if (request.event && row.seq !== null) request.event.seq = Number(row.seq);
        return true;
      }
      return sqliteTransaction(this.dataSource, (run) => {
        if (run(reopenFailedTask(this.d, taskId, request)).length === 0) return false;
        run(reopenSteps(this.d, taskId));
        if (request.event) {
          request.event.seq = eventIds(run(insertEvents(this.d, taskId, [request.event])))[0];
          if (request.deliveries?.length) run(insertDeliveries(this.d, taskId, request.deliveries));
        }
        return true;
      });
    });
  }

  countActive(owner: string): Promise<number> {
    return this.gate(() => countActiveTasks(this.em, owner));
  }

  resultBytes(owner: string): Promise<number> {
    return this.gate(() => sumResultBytes(this.em, this.d.postgres, owner));
  }

  stats(query: StatsQuery): Promise<TaskStats> {
    return this.gate(() => taskStats(this.em, query));
  }

  findFinished(query: FinishedQuery): Promise<FinishedTask[]> {
    return this.gate(() => findFinishedTasks(this.em, query));
  }

  findFinishedBefore(type: string, before: number, limit: number): Promise<string[]> {
    return this.gate(() => findFinishedIds(this.em, type, before, limit));
  }

  appendEvent(event: TaskEvent, deliveries: readonly NewWebhookDelivery[] = []): Promise<TaskEvent> {
    if (deliveries.length === 0) return this.gate(async () => ({ ...event, seq: await insertEvent(this.em, event) }));
    return this.gate(async () => {
      if (this.d.postgres) {
        const [row] = await run(this.em, appendEventWithDeliveries(this.d, event, deliveries));
        return { ...event, seq: Number(row.id) };
      }
      return this.dataSource.transaction(async (em) => {
        const seq = await insertEvent(em, event);
        const task = (await em.query('SELECT id FROM stepwise_tasks WHERE id = ?', [event.taskId])) as unknown[];
        if (task.length) await run(em, insertDeliveries(this.d, event.taskId, deliveries));
        return { ...event, seq };
      });
    });
  }

  listEvents(taskId: string, afterSeq = 0, limit?: number): Promise<TaskEvent[]> {
    return this.gate(() => eventsAfter(this.em, taskId, afterSeq, limit));
  }

  ping(): Promise<void> {
    return this.gate(async () => {
      await this.dataSource.query('SELECT 1');
    });
  }

  private async createBatch(items: CreateItem[]): Promise<Array<number[] | null>> {
    const [one] = items;
    const statement =
      items.length === 1 ? createTask(this.d, one.task, one.events, one.deliveries) : createTasks(this.d, items);
    const rows = byId(await this.statement(statement));
    return items.map((item) => {
      const row = rows.get(item.task.id);
      return row ? toSeqs(row.seqs) : null;
    });
  }

  private async saveBatch(items: SaveItem[]): Promise<Array<{ version: number; seqs: number[] } | null>> {
    const [one] = items;
    const statement =
      items.length === 1 ? saveHeldTask(this.d, one.task, one.workerId, one) : saveHeldTasks(this.d, items);
    const rows = byId(await this.statement(statement));
    return items.map((item) => {
      const row = rows.get(item.task.id);
      return row ? { version: Number(row.version), seqs: toSeqs(row.seqs) } : null;
    });
  }

  /** The group commit of the claims that differ only by their task: same worker, lease, types, start (and clock). */
  private claimsLike(request: ClaimRequest): GroupCommit<ClaimRequest, Claimed | null> {
    const { workerId, leaseMs, types, start, now } = request;
    const shape = JSON.stringify([
      workerId,
      leaseMs,
      types ?? null,
      start?.placement ?? null,
      this.d.databaseClock || now,
    ]);
    let group = this.claims.get(shape);
    if (!group) {
      // A worker has one shape; a caller's clock (tests) makes each `now` one: forget them now and then
      // (a group still running keeps going, held by its callers).
      if (this.claims.size >= 64) this.claims.clear();
      group = new GroupCommit((requests) => this.claimBatch(requests), { ...GROUP_COMMIT, key: (r) => r.taskId });
      this.claims.set(shape, group);
    }
    return group;
  }

  private async claimBatch(requests: ClaimRequest[]): Promise<Array<Claimed | null>> {
    const ids = requests.map((r) => r.taskId);
    const rows = byId(await this.statement(claimTasks(this.d, requests[0], ids)));
    return requests.map(({ taskId }) => {
      const row = rows.get(taskId);
      if (!row) return null;
      const started = row.started_step as Raw | null;
      const steps = ((row.steps as Raw[] | null) ?? []).map((s) => (started && s.name === started.name ? started : s));
      return claimed(fromRawTask(row, steps), started, row.started_event as Raw | null);
    });
  }

  private updateTask(em: EntityManager, set: TaskChanges): UpdateQueryBuilder<TaskRow> {
    return em.createQueryBuilder().update(TaskEntity).set(set);
  }
}

/**
 * Group commit of the hot path on PostgreSQL: a statement carries up to 64
 * rows, and two run at once per kind (the pool has 10 connections).
 */
const GROUP_COMMIT = { maxBatch: 64, maxInFlight: 2 };

const byId = (rows: Raw[]) => new Map(rows.map((row) => [String(row.id), row]));

/** Appends one event; returns its position in the log. */
async function insertEvent(em: EntityManager, event: TaskEvent): Promise<number> {
  const result = await em.insert(TaskEventEntity, toEventRow(event));
  return Number(result.identifiers[0]?.id);
}

/** Runs a built statement; its rows. */
type Raw = Record<string, unknown>;

async function run(em: EntityManager, { sql, params }: Built, bareUpdate = false): Promise<Raw[]> {
  const rows = (await em.query(sql, params)) as unknown;
  // TypeORM answers a bare UPDATE ... RETURNING on PostgreSQL with [rows, count].
  if (bareUpdate && Array.isArray(rows) && rows.length === 2 && Array.isArray(rows[0])) return rows[0] as Raw[];
  return rows as Raw[];
}

const eventIds = (rows: Array<Record<string, unknown>>): number[] => rows.map((r) => Number(r.id));

/** The `json_agg` of event ids (a JSON array, or its text), as numbers. */
/**
 * The record of a task just created, as a read would answer it: its own step
 * records; the JSON values (input, outputs) are shared with the caller's,
 * which nothing mutates. Not `structuredClone`: that was 6 % of a submitting
 * process's CPU in the benchmark.
 */
function createdRecord(task: NewTask): TaskRecord {
  return { ...task, version: 1, leaseOwner: null, leaseExpiresAt: null, steps: task.steps.map((s) => ({ ...s })) };
}

function toSeqs(value: unknown): number[] {
  const ids = typeof value === 'string' ? (JSON.parse(value) as unknown[]) : ((value as unknown[] | null) ?? []);
  return ids.map(Number);
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The unfinished task of this type holding this singleton key (the partial unique index's rows). */
function unfinishedWith(type: string, singletonKey: string): FindOptionsWhere<TaskRow> {
  return { type, singletonKey, status: Not(In([...TERMINAL_STATUSES])) };
}
