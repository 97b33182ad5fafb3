import type { TaskEvent } from '../../model';
import type { NewWebhookDelivery } from '../../ports';
import { deliveriesCte } from './delivery-writes';
import type { SqlDialect, SqlStatement } from './sql-statement';
import { built, EVENT_COLUMNS, eventValues, TERMINAL_SQL, type Built } from './task-writes';

// Requests from outside the lease holder (cancel, delete, pause, resume): each
// one conditional statement on PostgreSQL that locks the row, reports its
// state before, changes it and appends the event the change deserves, in one
// round trip. SQLite runs the same steps in one synchronous transaction
// (typeorm-task-store.ts).

/** The event and its webhook deliveries, appended for the row `t` of a CTE only when `condition` holds there. */
function conditionalEvent(
  sql: SqlStatement,
  event: TaskEvent | undefined,
  condition: string,
  deliveries: readonly NewWebhookDelivery[] = [],
): string {
  if (!event) return '';
  return (
    `, e AS (INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) SELECT t.id, v.* FROM t,` +
    ` (VALUES ${eventValues(sql, [event])}) AS v(${EVENT_COLUMNS}) WHERE ${condition} RETURNING id)` +
    (deliveries.length ? `, ${deliveriesCte(sql, deliveries, 't', condition)}` : '')
  );
}

/**
 * PostgreSQL: sets the cancel and/or delete request of an unfinished task;
 * appends `event` (its `task.cancel_requested`) only when this sets the
 * cancel. Answers `was_cancel_requested` and the event's `seq`; no row when
 * the task is unknown or terminal.
 */
export function requestStop(
  d: SqlDialect,
  taskId: string,
  request: { cancel: boolean; delete: boolean; event?: TaskEvent; deliveries?: readonly NewWebhookDelivery[] },
): Built {
  const sql = d.statement();
  const set = [
    ...(request.cancel ? ['cancel_requested = TRUE'] : []),
    ...(request.delete ? ['delete_requested = TRUE'] : []),
  ];
  const text =
    `WITH b AS (SELECT id, cancel_requested AS was FROM stepwise_tasks WHERE id = ${sql.p(taskId)}` +
    ` AND status NOT IN ${TERMINAL_SQL} FOR UPDATE),` +
    ` t AS (UPDATE stepwise_tasks SET ${set.length ? set.join(', ') : 'id = stepwise_tasks.id'} FROM b` +
    ` WHERE stepwise_tasks.id = b.id RETURNING stepwise_tasks.id, b.was)` +
    conditionalEvent(sql, request.cancel ? request.event : undefined, 'NOT t.was', request.deliveries) +
    ` SELECT t.was AS was_cancel_requested, ${request.cancel && request.event ? '(SELECT id FROM e)' : 'NULL'} AS seq FROM t`;
  return built(sql, text);
}

/** SQLite, in the request's transaction: the stop request's UPDATE (the caller read the flags before). */
export function setStopFlags(d: SqlDialect, taskId: string, request: { cancel: boolean; delete: boolean }): Built {
  const sql = d.statement();
  const set = [
    ...(request.cancel ? ['cancel_requested = 1'] : []),
    ...(request.delete ? ['delete_requested = 1'] : []),
  ];
  return built(
    sql,
    `UPDATE stepwise_tasks SET ${set.length ? set.join(', ') : 'id = id'} WHERE id = ${sql.p(taskId)}` +
      ` AND status NOT IN ${TERMINAL_SQL}`,
  );
}

/** SQLite: the flags and status of an unfinished task, read inside a request's transaction. */
export function unfinishedTask(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT status, cancel_requested FROM stepwise_tasks WHERE id = ${sql.p(taskId)} AND status NOT IN ${TERMINAL_SQL}`,
  );
}

/**
 * Sets (`paused`) or clears the pause request and moves the status with it:
 * a pending task nobody holds pauses at once; a paused one becomes pending
 * and due now. On PostgreSQL the row is locked by the FROM sub-select, which
 * hands back the status before, and `event` (`task.paused` or
 * `task.resumed`) is appended when the status moved, with its deliveries. Answers `before`,
 * `after` and the event's `seq`.
 */
export function setPaused(
  d: SqlDialect,
  taskId: string,
  paused: boolean,
  now: number,
  event?: TaskEvent,
  deliveries: readonly NewWebhookDelivery[] = [],
): Built {
  const sql = d.statement();
  // Each use gets its own placeholder, in text order: SQLite's `?` are positional.
  const moves = () =>
    paused
      ? `status = 'pending' AND (lease_owner IS NULL OR COALESCE(lease_expires_at, 0) <= ${d.now(sql, now)})`
      : `status = 'paused'`;
  const set =
    `pause_requested = ${paused ? (d.postgres ? 'TRUE' : '1') : d.postgres ? 'FALSE' : '0'},` +
    ` status = CASE WHEN ${moves()} THEN '${paused ? 'paused' : 'pending'}' ELSE status END,` +
    (paused ? '' : ` run_at = CASE WHEN ${moves()} THEN ${d.now(sql, now)} ELSE run_at END,`) +
    ` version = version + CASE WHEN ${moves()} THEN 1 ELSE 0 END`;
  if (!d.postgres) {
    return built(
      sql,
      `UPDATE stepwise_tasks SET ${set} WHERE id = ${sql.p(taskId)} AND status NOT IN ${TERMINAL_SQL} RETURNING status AS after`,
    );
  }
  const id = sql.p(taskId);
  const moved = paused ? "t.before <> 'paused' AND t.after = 'paused'" : "t.before = 'paused'";
  return built(
    sql,
    `WITH t AS (UPDATE stepwise_tasks SET ${set}` +
      ` FROM (SELECT id AS locked, status AS before FROM stepwise_tasks WHERE id = ${id} FOR UPDATE) b` +
      ` WHERE stepwise_tasks.id = b.locked AND stepwise_tasks.status NOT IN ${TERMINAL_SQL}` +
      ` RETURNING stepwise_tasks.id, b.before, stepwise_tasks.status AS after)` +
      conditionalEvent(sql, event, moved, deliveries) +
      ` SELECT t.before, t.after, ${event ? '(SELECT id FROM e)' : 'NULL'} AS seq FROM t`,
  );
}
