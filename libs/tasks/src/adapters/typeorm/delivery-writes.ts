import { newDeliveryRecord, TERMINAL_WEBHOOK_EVENTS } from '../../ports/webhook-outbox';
import type { NewWebhookDelivery } from '../../ports';
import type { SqlDialect, SqlStatement } from './sql-statement';
import type { Built } from './task-writes';

// The webhook outbox rows that the task store writes: added with the events
// they announce, in the same statement (PostgreSQL) or transaction (SQLite);
// forgotten with their task. The outbox adapter reads and updates them.

/** The columns a new delivery sets, after `task_id`; the lease and outcome columns start NULL. */
export const DELIVERY_COLUMNS =
  'id, event, url, target, payload, status, attempts, max_attempts, last_error, next_attempt_at, task_deleted, history, created_at, updated_at';

/** A VALUES list of new deliveries (typed for PostgreSQL, whose VALUES cannot infer them). */
export function deliveryValues(sql: SqlStatement, deliveries: readonly NewWebhookDelivery[], taskId?: string): string {
  return deliveries
    .map((delivery) => {
      const row = newDeliveryRecord(delivery);
      return (
        `(${taskId === undefined ? '' : `${sql.p(taskId)}, `}${sql.p(row.id, 'varchar')}, ${sql.p(row.event, 'varchar')},` +
        ` ${sql.p(row.url, 'text')}, ${sql.p(row.target, 'varchar')}, ${sql.p(row.payload, 'text')}, ${sql.p(row.status, 'varchar')},` +
        ` ${sql.p(row.attempts, 'int')}, ${sql.p(row.maxAttempts, 'int')}, ${sql.p(row.lastError, 'text')},` +
        ` ${sql.p(row.nextAttemptAt, 'bigint')}, ${sql.p(row.taskDeleted, 'boolean')}, ${sql.p(JSON.stringify(row.history), 'text')},` +
        ` ${sql.p(row.createdAt, 'bigint')}, ${sql.p(row.updatedAt, 'bigint')})`
      );
    })
    .join(', ');
}

/** Deliveries of one task, added (SQLite, inside the transaction of their event). */
export function insertDeliveries(d: SqlDialect, taskId: string, deliveries: readonly NewWebhookDelivery[]): Built {
  const sql = d.statement();
  return {
    sql: `INSERT INTO stepwise_webhook_deliveries (task_id, ${DELIVERY_COLUMNS}) VALUES ${deliveryValues(sql, deliveries, taskId)}`,
    params: sql.params,
  };
}

/**
 * PostgreSQL: a CTE `w` adding the deliveries for the task that the CTE
 * `from` yields (its `id`): none when it yields nothing (a write refused),
 * nor when `where` (on that row) does not hold.
 */
export function deliveriesCte(
  sql: SqlStatement,
  deliveries: readonly NewWebhookDelivery[],
  from = 't',
  where?: string,
): string {
  return (
    `w AS (INSERT INTO stepwise_webhook_deliveries (task_id, ${DELIVERY_COLUMNS}) SELECT ${from}.id, v.* FROM ${from},` +
    ` (VALUES ${deliveryValues(sql, deliveries)}) AS v(${DELIVERY_COLUMNS})${where ? ` WHERE ${where}` : ''})`
  );
}

/**
 * A deleted task's deliveries: the pending ones of terminal events are kept,
 * marked `task_deleted` (still sent, then removed by the outbox once
 * settled); the others go. Two statements, for the delete's transaction.
 */
export function forgetDeliveries(d: SqlDialect, taskId: string): Built[] {
  // Constants of the code, not input: inlined so both databases read the same text.
  const terminal = TERMINAL_WEBHOOK_EVENTS.map((event) => `'${event}'`).join(', ');
  const kept = `status = 'pending' AND event IN (${terminal})`;
  const mark = d.statement();
  const markText =
    `UPDATE stepwise_webhook_deliveries SET task_deleted = ${d.postgres ? 'TRUE' : '1'}` +
    ` WHERE task_id = ${mark.p(taskId)} AND ${kept}`;
  const drop = d.statement();
  const dropText = `DELETE FROM stepwise_webhook_deliveries WHERE task_id = ${drop.p(taskId)} AND NOT (${kept})`;
  return [
    { sql: markText, params: mark.params },
    { sql: dropText, params: drop.params },
  ];
}
