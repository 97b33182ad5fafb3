import type { EntityManager, FindOptionsWhere } from 'typeorm';
import { TERMINAL_STATUSES, type TaskEvent, type TaskRecord } from '../../model';
import type { DueTask, ListPage, ListQuery } from '../../ports';
import { decodeCursor, encodeCursor } from '../list-cursor';
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
    const qb = em.createQueryBuilder(TaskEntity, 't').where('t.owner = :owner', { owner: query.owner });
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

/** The three cases of MemoryTaskStore.findDue, oldest runAt first; a NULL expiry counts as long past. */
export async function findDueTasks(em: EntityManager, now: number, graceMs: number, limit: number): Promise<DueTask[]> {
  const expired = 'COALESCE(t.leaseExpiresAt, 0) < :now';
  const rows = await em
    .createQueryBuilder(TaskEntity, 't')
    .select(['t.id', 't.queue', 't.placement', 't.priority', 't.version'])
    .where("(t.status = 'pending' AND t.runAt <= :pendingBefore)")
    .orWhere(`(t.status IN ('running', 'compensating') AND ${expired})`)
    .orWhere(`(t.cancelRequested = :yes AND t.status NOT IN (:...terminal) AND ${expired})`)
    .setParameters({ now, pendingBefore: now - graceMs, yes: true, terminal: TERMINAL_STATUSES })
    .orderBy('t.runAt', 'ASC')
    .take(limit)
    .getMany();
  return rows.map(({ id, queue, placement, priority, version }) => ({ id, queue, placement, priority, version }));
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

export async function eventsAfter(em: EntityManager, taskId: string, afterSeq: number): Promise<TaskEvent[]> {
  const rows = await em
    .createQueryBuilder(TaskEventEntity, 'e')
    .where('e.taskId = :taskId AND e.id > :afterSeq', { taskId, afterSeq })
    .orderBy('e.id', 'ASC')
    .getMany();
  return rows.map(toTaskEvent);
}
