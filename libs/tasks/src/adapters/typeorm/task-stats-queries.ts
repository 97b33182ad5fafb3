import type { EntityManager } from 'typeorm';
import { TASK_STATUSES, TERMINAL_STATUSES, type TaskStatus } from '../../model';
import type { FinishedQuery, FinishedTask, StatsQuery, TaskStats } from '../../ports';
import { TaskEntity } from './entities/task.entity';

/** Counts by type and status in one grouped scan, and the oldest pending task. */
export async function taskStats(em: EntityManager, query: StatsQuery): Promise<TaskStats> {
  const scoped = (alias: string) => {
    const builder = em.createQueryBuilder(TaskEntity, alias);
    return query.owner === undefined ? builder : builder.where(`${alias}.owner = :owner`, { owner: query.owner });
  };
  const rows = (await scoped('t')
    .select('t.type', 'type')
    .addSelect('t.status', 'status')
    .addSelect('COUNT(*)', 'count')
    .groupBy('t.type')
    .addGroupBy('t.status')
    .orderBy('t.type')
    .addOrderBy('t.status')
    .getRawMany()) as Array<{ type: string; status: TaskStatus; count: string | number }>;
  const oldest = (await scoped('p')
    .andWhere('p.status = :pending', { pending: 'pending' })
    .select('MIN(p.createdAt)', 'at')
    .getRawOne()) as { at: string | number | null } | undefined;
  return {
    counts: rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.count) })),
    oldestPendingAt: oldest?.at === null || oldest?.at === undefined ? null : Number(oldest.at),
  };
}

// Spelled as the statuses that are not terminal, so that (owner, status) answers it by index ranges alone.
const ACTIVE_STATUSES = TASK_STATUSES.filter((s) => !(TERMINAL_STATUSES as readonly string[]).includes(s));

/** The owner's tasks that are not terminal: one count on the (owner, status) index. */
export async function countActiveTasks(em: EntityManager, owner: string): Promise<number> {
  const row = (await em
    .createQueryBuilder(TaskEntity, 't')
    .select('COUNT(*)', 'count')
    .where('t.owner = :owner', { owner })
    .andWhere('t.status IN (:...active)', { active: ACTIVE_STATUSES })
    .getRawOne()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

/** The sizes of the owner's result files (the JSON column's `size`), summed on the owner's rows. */
export async function sumResultBytes(em: EntityManager, postgres: boolean, owner: string): Promise<number> {
  const size = postgres ? "(result_file::jsonb->>'size')::bigint" : "json_extract(result_file, '$.size')";
  const [row] = (await em.query(
    `SELECT COALESCE(SUM(${size}), 0) AS bytes FROM stepwise_tasks WHERE owner = ${postgres ? '$1' : '?'} AND result_file IS NOT NULL`,
    [owner],
  )) as Array<{ bytes: string | number }>;
  return Number(row?.bytes ?? 0);
}

/** Finished tasks matching the filters, oldest first. */
export async function findFinishedTasks(em: EntityManager, query: FinishedQuery): Promise<FinishedTask[]> {
  const statuses = (query.statuses ?? TERMINAL_STATUSES).filter((s) =>
    (TERMINAL_STATUSES as readonly string[]).includes(s),
  );
  if (statuses.length === 0) return [];
  const builder = em
    .createQueryBuilder(TaskEntity, 't')
    .select(['t.id', 't.finishedAt'])
    .where('t.status IN (:...statuses)', { statuses });
  if (query.owner !== undefined) builder.andWhere('t.owner = :owner', { owner: query.owner });
  if (query.type !== undefined) builder.andWhere('t.type = :type', { type: query.type });
  if (query.finishedBefore !== undefined) {
    builder.andWhere('t.finishedAt < :before', { before: query.finishedBefore });
  }
  if (query.finishedAfter !== undefined) {
    builder.andWhere('t.finishedAt >= :after', { after: query.finishedAfter });
  }
  if (query.after) {
    const { finishedAt, id } = query.after;
    builder.andWhere('(t.finishedAt > :afterAt OR (t.finishedAt = :afterAt AND t.id > :afterId))', {
      afterAt: finishedAt,
      afterId: id,
    });
  }
  const rows = await builder.orderBy('t.finishedAt', 'ASC').addOrderBy('t.id', 'ASC').take(query.limit).getMany();
  return rows.map((r) => ({ id: r.id, finishedAt: Number(r.finishedAt) }));
}
