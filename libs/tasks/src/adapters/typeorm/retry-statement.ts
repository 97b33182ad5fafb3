import type { RetryRequest } from '../../ports';
import { deliveriesCte } from './delivery-writes';
import type { SqlDialect } from './sql-statement';
import { built, EVENT_COLUMNS, eventValues, type Built } from './task-writes';

// Re-opening a failed task (`TaskStore.retryFailed`). The predicate is the
// rule: only a `failed` row moves (and only while no other unfinished task
// holds its singleton key), so of two retries one wins. PostgreSQL does
// it in one statement (task, steps and event as CTEs); SQLite runs the two
// UPDATEs and the event's INSERT in one synchronous transaction.

/** The task row: pending, due now, its error, lease, start and deadline cleared. */
function reopenTask(d: SqlDialect, sql: ReturnType<SqlDialect['statement']>, taskId: string, r: RetryRequest) {
  const no = d.postgres ? 'FALSE' : '0';
  return (
    `UPDATE stepwise_tasks SET status = 'pending', placement = ${sql.p(r.placement)}, progress = ${sql.p(r.progress)},` +
    ` error = NULL, message = NULL, run_at = ${d.now(sql, r.now)}, started_at = NULL, finished_at = NULL,` +
    ` deadline_at = NULL, lease_owner = NULL, lease_expires_at = NULL, cancel_requested = ${no},` +
    ` pause_requested = ${no}, updated_at = ${sql.p(r.now)}, version = version + 1` +
    ` WHERE id = ${sql.p(taskId)} AND status = 'failed' AND ${SINGLETON_FREE}`
  );
}

/**
 * Its singleton key, if any, is not held by another unfinished task of its
 * type (a task submitted with the key since this one failed): re-opening it
 * would make two. A holder inserted concurrently meets the unique index.
 */
const SINGLETON_FREE =
  '(singleton_key IS NULL OR NOT EXISTS (SELECT 1 FROM stepwise_tasks o WHERE o.type = stepwise_tasks.type' +
  " AND o.singleton_key = stepwise_tasks.singleton_key AND o.status NOT IN ('completed', 'failed', 'cancelled')))";

/** Every step but the completed ones, as if never run. */
const REOPEN_STEPS =
  `status = 'pending', attempts = 0, abandoned = 0, progress = 0, output = NULL, error = NULL,` +
  ` started_at = NULL, finished_at = NULL`;

/** PostgreSQL: the whole retry; answers one row (with the event's `seq`) when it happened, none otherwise. */
export function retryFailedTask(d: SqlDialect, taskId: string, r: RetryRequest): Built {
  const sql = d.statement();
  const event = r.event
    ? `, e AS (INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) SELECT t.id, v.* FROM t,` +
      ` (VALUES ${eventValues(sql, [r.event])}) AS v(${EVENT_COLUMNS}) RETURNING id)` +
      (r.deliveries?.length ? `, ${deliveriesCte(sql, r.deliveries, 't')}` : '')
    : '';
  return built(
    sql,
    `WITH t AS (${reopenTask(d, sql, taskId, r)} RETURNING id),` +
      ` s AS (UPDATE stepwise_task_steps SET ${REOPEN_STEPS} FROM t` +
      ` WHERE stepwise_task_steps.task_id = t.id AND stepwise_task_steps.status <> 'completed' RETURNING 1)` +
      event +
      ` SELECT ${r.event ? '(SELECT id FROM e)' : 'NULL'} AS seq, (SELECT COUNT(*) FROM s) AS steps FROM t`,
  );
}

/** SQLite, in the retry's transaction: the task's UPDATE (one row changed when it was failed). */
export function reopenFailedTask(d: SqlDialect, taskId: string, r: RetryRequest): Built {
  const sql = d.statement();
  return built(sql, `${reopenTask(d, sql, taskId, r)} RETURNING id`);
}

/** SQLite, in the same transaction once the task moved: its steps. */
export function reopenSteps(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `UPDATE stepwise_task_steps SET ${REOPEN_STEPS} WHERE task_id = ${sql.p(taskId)} AND status <> 'completed'`,
  );
}
