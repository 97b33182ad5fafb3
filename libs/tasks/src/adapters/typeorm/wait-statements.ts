import type { WaitTarget } from '../../model';
import type { SqlDialect } from './sql-statement';
import { built, TERMINAL_SQL, type Built } from './task-writes';

// Waits (for a signal, for child tasks) and signals. Each runs in one short transaction that first locks the
// task's row (PostgreSQL: FOR UPDATE; SQLite has one writer): the statements
// that follow each see what committed before (READ COMMITTED takes a new
// snapshot per statement), so a suspension and a signal delivered at the same
// moment are serialised on that row, and the signal never finds its task
// half-way into waiting. A single statement could not: its CTEs share one
// snapshot, and a signal committed while it waited for the lock stays unseen.

const forUpdate = (d: SqlDialect) => (d.postgres ? ' FOR UPDATE' : '');

/** The task's row while `workerId` holds its lease, locked. */
export function lockHeld(d: SqlDialect, taskId: string, workerId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT id FROM stepwise_tasks WHERE id = ${sql.p(taskId)} AND lease_owner = ${sql.p(workerId)}${forUpdate(d)}`,
  );
}

/** The unfinished task's row, locked: its status and what it waits for. */
export function lockUnfinished(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT id, status, waiting_for, version FROM stepwise_tasks WHERE id = ${sql.p(taskId)}` +
      ` AND status NOT IN ${TERMINAL_SQL}${forUpdate(d)}`,
  );
}

/** A signal `name` of the task that no step took yet: what makes a wait for it over before it starts. */
export function untakenSignal(d: SqlDialect, taskId: string, name: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT id FROM stepwise_task_signals WHERE task_id = ${sql.p(taskId)} AND name = ${sql.p(name)}` +
      ' AND step IS NULL LIMIT 1',
  );
}

/**
 * Takes the oldest signal `name` not taken by another step (one `step`
 * took already answers again): one conditional UPDATE, so two runs of the
 * task (a lost lease's and its successor's) never take two signals.
 */
export function takeSignal(d: SqlDialect, taskId: string, name: string, step: string): Built {
  const sql = d.statement();
  // Placeholders in text order: SQLite's `?` are positional.
  const by = () => sql.p(step);
  const set = `UPDATE stepwise_task_signals SET step = ${by()}`;
  const oldest =
    `SELECT id FROM stepwise_task_signals WHERE task_id = ${sql.p(taskId)} AND name = ${sql.p(name)}` +
    ` AND (step IS NULL OR step = ${by()}) ORDER BY id LIMIT 1`;
  const update = `${set} WHERE id = (${oldest}) AND (step IS NULL OR step = ${by()}) RETURNING payload`;
  return built(sql, d.postgres ? `WITH r AS (${update}) SELECT payload FROM r` : update);
}

export function insertSignal(d: SqlDialect, taskId: string, name: string, payload: string | null, at: number): Built {
  const sql = d.statement();
  return built(
    sql,
    `INSERT INTO stepwise_task_signals (task_id, name, payload, step, received_at)` +
      ` VALUES (${sql.p(taskId)}, ${sql.p(name)}, ${sql.p(payload)}, NULL, ${sql.p(at, 'bigint')})`,
  );
}

/**
 * Wakes the task that waits for `target`: pending, due now (the database's
 * clock), waiting for nothing. One conditional statement whose WHERE is the
 * rule; no row when the task waits for something else (or not at all).
 */
export function wakeWaiting(d: SqlDialect, taskId: string, target: WaitTarget, now: number): Built {
  const sql = d.statement();
  const update =
    `UPDATE stepwise_tasks SET status = 'pending', run_at = ${d.now(sql, now)}, waiting_for = NULL,` +
    ` updated_at = ${sql.p(now, 'bigint')}, version = version + 1` +
    ` WHERE id = ${sql.p(taskId)} AND status = 'waiting' AND waiting_for = ${sql.p(target)} RETURNING version`;
  return built(sql, d.postgres ? `WITH w AS (${update}) SELECT version FROM w` : update);
}

export function deleteSignals(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(sql, `DELETE FROM stepwise_task_signals WHERE task_id = ${sql.p(taskId)}`);
}

/** An unfinished child of the task: what keeps a wait for its children going. */
export function unfinishedChild(d: SqlDialect, parentId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT id FROM stepwise_tasks WHERE parent_id = ${sql.p(parentId)} AND status NOT IN ${TERMINAL_SQL} LIMIT 1`,
  );
}

/** The task's row, locked (PostgreSQL), whatever its state: a child's end waits here for its parent's suspension. */
export function lockTask(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(sql, `SELECT id FROM stepwise_tasks WHERE id = ${sql.p(taskId)}${forUpdate(d)}`);
}

/**
 * Wakes the parent waiting for its children once none is unfinished: one
 * conditional statement, run after {@link lockTask} of the parent in the
 * transaction of a child's terminal write (so it sees every child that
 * ended before, and its own).
 */
export function wakeParent(d: SqlDialect, parentId: string, now: number): Built {
  const sql = d.statement();
  const update =
    `UPDATE stepwise_tasks SET status = 'pending', run_at = ${d.now(sql, now)}, waiting_for = NULL,` +
    ` updated_at = ${sql.p(now, 'bigint')}, version = version + 1` +
    ` WHERE id = ${sql.p(parentId)} AND status = 'waiting' AND waiting_for = 'children'` +
    ` AND NOT EXISTS (SELECT 1 FROM stepwise_tasks c WHERE c.parent_id = ${sql.p(parentId)} AND c.status NOT IN ${TERMINAL_SQL})` +
    ' RETURNING version';
  return built(sql, d.postgres ? `WITH w AS (${update}) SELECT version FROM w` : update);
}

/** The children of a task, oldest first. */
export function childrenOf(d: SqlDialect, parentId: string): Built {
  const sql = d.statement();
  return built(
    sql,
    `SELECT id, type, status, output, error, created_at FROM stepwise_tasks WHERE parent_id = ${sql.p(parentId)}` +
      ' ORDER BY created_at, id',
  );
}
