import type { DataSource, EntityManager, QueryDeepPartialEntity, UpdateQueryBuilder } from 'typeorm';
import { isTerminal, type TaskEvent, type TaskRecord } from '../../model';
import type { ClaimRequest, DueTask, LeaseState, ListPage, ListQuery, NewTask, TaskStore } from '../../ports';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskStepEntity } from './entities/task-step.entity';
import { TaskEntity, type TaskRow } from './entities/task.entity';
import { gateFor, type Gate } from './serial-gate';
import { toEventRow, toNewTaskRow, toSavedColumns, toStepRow } from './task-mapper';
import { eventsAfter, findDueTasks, findFinishedIds, findTask, listTasks, withSteps } from './task-queries';
import { isUniqueViolation } from './unique-violation';

type TaskChanges = QueryDeepPartialEntity<TaskRow>;
const NOT_HELD: LeaseState = { held: false, cancelRequested: false, pauseRequested: false };
const BUMP = { version: () => 'version + 1' };
const STEP_COLUMNS = 'step_order placement status attempts progress output error started_at finished_at'.split(' ');
// WHERE clauses of updates name columns (snake_case): both databases take them unquoted.
const LEASE_FREE = '(lease_owner IS NULL OR COALESCE(lease_expires_at, 0) <= :now)';

/**
 * TaskStore on TypeORM, for SQLite (embedded) and PostgreSQL (distributed).
 * Every write after a claim is one conditional UPDATE, so a worker that lost
 * its lease changes nothing; the semantics are those of `MemoryTaskStore`.
 */
export class TypeOrmTaskStore implements TaskStore {
  private readonly gate: Gate;
  /** PostgreSQL returns the bumped version from the UPDATE itself; SQLite needs a read. */
  private readonly returning: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.gate = gateFor(dataSource);
    this.returning = dataSource.driver.isReturningSqlSupported('update');
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  create(task: NewTask): Promise<{ task: TaskRecord; created: boolean }> {
    const key = task.idempotencyKey;
    const byKey = () => (key ? findTask(this.em, { owner: task.owner, idempotencyKey: key }) : null);
    const steps = task.steps.map((s) => toStepRow(task.id, s));
    return this.gate(async () => {
      const existing = await byKey();
      if (existing) return { task: existing, created: false };
      try {
        await this.dataSource.transaction(async (em) => {
          await em.insert(TaskEntity, toNewTaskRow(task));
          if (steps.length) await em.insert(TaskStepEntity, steps);
        });
      } catch (error) {
        // Lost a race on the same key (another process): the winner's task is the answer.
        const winner = isUniqueViolation(error) ? await byKey() : null;
        if (!winner) throw error;
        return { task: winner, created: false };
      }
      return { task: structuredClone({ ...task, version: 1, leaseOwner: null, leaseExpiresAt: null }), created: true };
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

  claim(request: ClaimRequest): Promise<TaskRecord | null> {
    return this.gate(async () => {
      const row = await this.em.findOneBy(TaskEntity, { id: request.taskId });
      if (!row || !isClaimable(row, request.now)) return null;
      if (request.types && !request.types.includes(row.type)) return null;
      const lease = {
        leaseOwner: request.workerId,
        leaseExpiresAt: request.now + request.leaseMs,
        status: row.status === 'compensating' ? 'compensating' : 'running',
        updatedAt: request.now,
      } as const;
      // Conditional on the version read: of two claimants, only one matches.
      const won = await this.updateTask(this.em, { ...lease, ...BUMP })
        .where('id = :id AND version = :version', { id: row.id, version: row.version })
        .execute();
      if (won.affected !== 1) return null;
      return withSteps(this.em, { ...row, ...lease, version: row.version + 1 });
    });
  }

  renewLease(taskId: string, workerId: string, until: number): Promise<LeaseState> {
    return this.gate(async () => {
      const renewed = await this.updateTask(this.em, { leaseExpiresAt: until })
        .where('id = :taskId AND lease_owner = :workerId', { taskId, workerId })
        .execute();
      if (renewed.affected !== 1) return NOT_HELD;
      const flags = await this.em.findOne(TaskEntity, {
        where: { id: taskId },
        select: { id: true, cancelRequested: true, pauseRequested: true },
      });
      if (!flags) return NOT_HELD;
      return {
        held: true,
        cancelRequested: Boolean(flags.cancelRequested),
        pauseRequested: Boolean(flags.pauseRequested),
      };
    });
  }

  save(task: TaskRecord, workerId: string, changedSteps: readonly string[], event?: TaskEvent): Promise<boolean> {
    const steps = task.steps.filter((s) => changedSteps.includes(s.name)).map((s) => toStepRow(task.id, s));
    return this.gate(async () => {
      // A lone UPDATE is atomic: the transaction is only paid for when steps or an event go with it.
      const version =
        steps.length || event
          ? await this.dataSource.transaction(async (em) => {
              const bumped = await this.saveTask(em, task, workerId);
              if (bumped === null) return null;
              if (steps.length) await upsertSteps(em, steps);
              if (event) event.seq = await insertEvent(em, event);
              return bumped;
            })
          : await this.saveTask(this.em, task, workerId);
      if (version === null) return false;
      task.version = version;
      return true;
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

  update(
    taskId: string,
    expectedVersion: number,
    now: number,
    patch: Partial<Pick<TaskRecord, 'status' | 'runAt' | 'message'>>,
  ): Promise<boolean> {
    return this.gate(async () => {
      const result = await this.updateTask(this.em, { ...definedOnly(patch), updatedAt: now, ...BUMP })
        .where(`id = :taskId AND version = :expectedVersion AND ${LEASE_FREE}`, { taskId, expectedVersion, now })
        .execute();
      return result.affected === 1;
    });
  }

  delete(taskId: string): Promise<void> {
    return this.gate(() =>
      this.dataSource.transaction(async (em) => {
        await em.delete(TaskEventEntity, { taskId });
        await em.delete(TaskStepEntity, { taskId });
        await em.delete(TaskEntity, { id: taskId });
      }),
    );
  }

  findDue(now: number, pendingGraceMs: number, limit: number): Promise<DueTask[]> {
    return this.gate(() => findDueTasks(this.em, now, pendingGraceMs, limit));
  }

  findFinishedBefore(type: string, before: number, limit: number): Promise<string[]> {
    return this.gate(() => findFinishedIds(this.em, type, before, limit));
  }

  appendEvent(event: TaskEvent): Promise<TaskEvent> {
    return this.gate(async () => ({ ...event, seq: await insertEvent(this.em, event) }));
  }

  listEvents(taskId: string, afterSeq = 0): Promise<TaskEvent[]> {
    return this.gate(() => eventsAfter(this.em, taskId, afterSeq));
  }

  ping(): Promise<void> {
    return this.gate(async () => {
      await this.dataSource.query('SELECT 1');
    });
  }

  /** The conditional write of `save`: the new version, or null when the lease is not ours. */
  private async saveTask(em: EntityManager, task: TaskRecord, workerId: string): Promise<number | null> {
    // A held lease's expiry belongs to heartbeats; a null owner means "release".
    const release = task.leaseOwner === null ? { leaseOwner: null, leaseExpiresAt: null } : {};
    const update = this.updateTask(em, { ...toSavedColumns(task), ...release, ...BUMP }).where(
      'id = :id AND lease_owner = :workerId',
      { id: task.id, workerId },
    );
    if (this.returning) {
      const result = await update.returning('version').execute();
      return result.affected === 1 ? Number((result.raw as Array<{ version: unknown }>)[0].version) : null;
    }
    if ((await update.execute()).affected !== 1) return null;
    // Under the SQLite gate (and in the transaction, if any) nobody wrote in between.
    const row = await em.findOne(TaskEntity, { where: { id: task.id }, select: { id: true, version: true } });
    return row?.version ?? null;
  }

  private updateTask(em: EntityManager, set: TaskChanges): UpdateQueryBuilder<TaskRow> {
    return em.createQueryBuilder().update(TaskEntity).set(set);
  }
}

/** The rule of MemoryTaskStore.claim: not terminal, no live lease, due or cancel requested. */
function isClaimable(row: TaskRow, now: number): boolean {
  if (isTerminal(row.status)) return false;
  if (row.leaseOwner !== null && (row.leaseExpiresAt ?? 0) > now) return false;
  const due = row.runAt <= now && row.status !== 'paused';
  return due || Boolean(row.cancelRequested);
}

/** Appends one event; returns its position in the log. */
async function insertEvent(em: EntityManager, event: TaskEvent): Promise<number> {
  const result = await em.insert(TaskEventEntity, toEventRow(event));
  return Number(result.identifiers[0]?.id);
}

/** One INSERT ... ON CONFLICT DO UPDATE for all the changed steps (both databases have it). */
async function upsertSteps(em: EntityManager, steps: QueryDeepPartialEntity<unknown>[]): Promise<void> {
  await em
    .createQueryBuilder()
    .insert()
    .into(TaskStepEntity)
    .values(steps)
    .orUpdate(STEP_COLUMNS, ['task_id', 'name'])
    .execute();
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
