import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { TERMINAL_STATUSES, type TaskEvent, type TaskRecord } from '../../model';
import type { DueKey, DuePage, DueQuery, DueTask, ListPage, ListQuery } from '../../ports';
import { decodeCursor, encodeCursor } from '../../ports/list-cursor';
import { DATABASE_NOW } from './sql-statement';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskStepEntity } from './entities/task-step.entity';
import { TaskEntity, type TaskRow } from './entities/task.entity';
import { toTaskEvent, toTaskRecord } from './task-mapper';

// The read side of TypeOrmTaskStore. Query builders name entity properties
// (`t.createdAt`); TypeORM turns them into the snake_case columns.

/** One task with its steps, or null. */
export async function findTask(em: EntityManager, where: FindOptionsWhere<TaskRow>): Promise<TaskRecord | null> {
  const row = await em.findOneBy(TaskEntity, where);
  return row ? withSteps(em, row) : null;
}

export async function withSteps(em: EntityManager, row: TaskRow): Promise<TaskRecord> {
  return toTaskRecord(row, await em.findBy(TaskStepEntity, { taskId: row.id }));
}

/** Keyset page newest first, by (createdAt, id), plus the total under the same filters. */
export async function listTasks(em: EntityManager, query: ListQuery): Promise<ListPage> {
  const filtered = () => {
    const qb = em.createQueryBuilder(TaskEntity, 't').where('1 = 1');
    if (query.owner !== undefined) qb.andWhere('t.owner = :owner', { owner: query.owner });
    if (query.type) qb.andWhere('t.type = :type', { type: query.type });
    if (query.status) qb.andWhere('t.status = :status', { status: query.status });
    return qb;
  };
  const total = await filtered().getCount();
  const page = filtered()
    .orderBy('t.createdAt', 'DESC')
    .addOrderBy('t.id', 'DESC')
    .take(query.limit + 1);
  // A cursor that does not decode starts from the top, as MemoryTaskStore does.
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  if (after) {
    page.andWhere('(t.createdAt < :c OR (t.createdAt = :c AND t.id < :i))', { c: after.createdAt, i: after.id });
  }
  const rows = await page.getMany();
  const items = await withStepsOfPage(em, rows.slice(0, query.limit));
  const last = items[items.length - 1];
  return { items, total, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/** The steps of a whole page in one query. */
async function withStepsOfPage(em: EntityManager, rows: TaskRow[]): Promise<TaskRecord[]> {
  if (rows.length === 0) return [];
  const steps = await em
    .createQueryBuilder(TaskStepEntity, 's')
    .where('s.taskId IN (:...ids)', { ids: rows.map((r) => r.id) })
    .getMany();
  return rows.map((row) =>
    toTaskRecord(
      row,
      steps.filter((s) => s.taskId === row.id),
    ),
  );
}

// The sweeper's scans, one per reason, each served by a partial index of
// migration 1700000000003 (waits: 1700000000010). Statuses are literals, not parameters: a planner
// uses a partial index only when it sees the query's WHERE imply the index's.
const LEASED = "t.status IN ('running', 'compensating')";
const NOT_TERMINAL = `t.status NOT IN (${TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const DUE_COLUMNS = ['t.id', 't.queue', 't.placement', 't.priority', 't.version'];

/**
 * The tasks to dispatch again, by reason, each reason one keyset scan after
 * its cursor: expired leases by (leaseExpiresAt, id), unheld cancels by id,
 * overdue pending tasks by (runAt, id).
 */
export async function findDueTasks(
  em: EntityManager,
  query: DueQuery,
  options: { databaseClock?: boolean } = {},
): Promise<DuePage> {
  const now = options.databaseClock ? DATABASE_NOW : ':now';
  const params = { now: query.now, grace: query.pendingGraceMs, before: query.now - query.pendingGraceMs };
  const after = query.after;
  const scan = (where: string, sortBy: 'leaseExpiresAt' | 'runAt' | null, from: DueKey | null) =>
    keysetScan(em, { where, params, sortBy, from, limit: query.limit });
  const expired = await scan(`${LEASED} AND t.leaseExpiresAt < ${now}`, 'leaseExpiresAt', after?.expired ?? null);
  const cancels = await scan(
    `t.cancelRequested = TRUE AND ${NOT_TERMINAL} AND (t.leaseExpiresAt IS NULL OR t.leaseExpiresAt < ${now})`,
    null,
    after?.cancels ? { at: 0, id: after.cancels } : null,
  );
  const overdue = options.databaseClock ? `${DATABASE_NOW} - :grace` : ':before';
  const pending = await scan(`t.status = 'pending' AND t.runAt <= ${overdue}`, 'runAt', after?.pending ?? null);
  // Waits past their deadline (migration 1700000000010's index): the claim takes them as they are.
  const waiting = await scan(`t.status = 'waiting' AND t.runAt <= ${overdue}`, 'runAt', after?.waiting ?? null);
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

interface KeysetScan {
  where: string;
  params: Record<string, unknown>;
  /** The leading sort column; null sorts by id alone. */
  sortBy: 'leaseExpiresAt' | 'runAt' | null;
  from: DueKey | null;
  limit: number;
}

/** One page after `from`; reads one row more to tell whether the scan goes on. */
async function keysetScan(
  em: EntityManager,
  { where, params, sortBy, from, limit }: KeysetScan,
): Promise<{ tasks: DueTask[]; next: DueKey | null }> {
  const qb = em
    .createQueryBuilder(TaskEntity, 't')
    .select(sortBy ? [...DUE_COLUMNS, `t.${sortBy}`] : DUE_COLUMNS)
    .where(where, params);
  if (from) qb.andWhere(sortBy ? `(t.${sortBy}, t.id) > (:at, :id)` : 't.id > :id', { at: from.at, id: from.id });
  if (sortBy) qb.orderBy(`t.${sortBy}`, 'ASC');
  const rows = await qb
    .addOrderBy('t.id', 'ASC')
    .limit(limit + 1)
    .getMany();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    tasks: page.map(({ id, queue, placement, priority, version }) => ({ id, queue, placement, priority, version })),
    next: rows.length > limit && last ? { at: sortBy ? Number(last[sortBy]) : 0, id: last.id } : null,
  };
}

export async function findFinishedIds(
  em: EntityManager,
  type: string,
  before: number,
  limit: number,
): Promise<string[]> {
  const rows = await em
    .createQueryBuilder(TaskEntity, 't')
    .select(['t.id'])
    .where('t.type = :type AND t.status IN (:...terminal) AND t.finishedAt < :before')
    .setParameters({ type, before, terminal: TERMINAL_STATUSES })
    .orderBy('t.finishedAt', 'ASC')
    .take(limit)
    .getMany();
  return rows.map((r) => r.id);
}

export async function eventsAfter(
  em: EntityManager,
  taskId: string,
  afterSeq: number,
  limit?: number,
): Promise<TaskEvent[]> {
  const query = em
    .createQueryBuilder(TaskEventEntity, 'e')
    .where('e.taskId = :taskId AND e.id > :afterSeq', { taskId, afterSeq })
    .orderBy('e.id', 'ASC');
  const rows = await (limit === undefined ? query : query.limit(limit)).getMany();
  return rows.map(toTaskEvent);
}
