import type { ClaimRequest } from '../../ports';
import type { SqlDialect, SqlStatement } from './sql-statement';
import { built, TERMINAL_SQL, type Built } from './task-writes';

// The claim: one conditional UPDATE whose WHERE is the rule, which also sets
// the start time and deadline of a first claim and, when the caller asks,
// starts the next step. The memory store mirrors these rules
// (memory-task-store.ts), held to them by the store contract tests.

/**
 * Claimable: not terminal, no live lease, and due (not paused) or a cancel to run.
 *
 * The type check is no index condition on PostgreSQL (`IS TRUE`): the rows
 * are found by id. Without statistics (a table filling up faster than
 * autovacuum analyzes it) the planner took `type = ANY(...)` for as selective
 * as the ids and scanned every task of the type through the retention index
 * (13,000 rows for a claim of 10, measured in the benchmark).
 */
export function claimable(d: SqlDialect, sql: SqlStatement, request: ClaimRequest): string {
  // A placeholder per use, in text order: SQLite's `?` are positional.
  const now = () => d.now(sql, request.now);
  const types = () =>
    request.types
      ? request.types.length === 0
        ? ' AND 1 = 0'
        : d.postgres
          ? ` AND (type = ANY(${sql.p([...request.types], 'varchar[]')})) IS TRUE`
          : ` AND type IN (${request.types.map((t) => sql.p(t)).join(', ')})`
      : '';
  return (
    `status NOT IN ${TERMINAL_SQL} AND (lease_owner IS NULL OR COALESCE(lease_expires_at, 0) <= ${now()})` +
    ` AND ((run_at <= ${now()} AND status <> 'paused') OR cancel_requested = ${d.postgres ? 'TRUE' : '1'})${types()}`
  );
}

/** The deadline a first claim sets: the declared timeout from the first start. */
const deadline = (d: SqlDialect, sql: SqlStatement, now: number) =>
  `COALESCE(deadline_at, COALESCE(started_at, ${d.now(sql, now)}) + timeout_ms)`;

/** The first unfinished step of the task `taskId` (an SQL expression): the one a claim may start. */
const nextStep = (columns: string, taskId: string) =>
  `SELECT ${columns} FROM stepwise_task_steps n WHERE n.task_id = ${taskId} AND n.status <> 'completed' ORDER BY n.step_order LIMIT 1`;

/**
 * Starts the next step: the task (row in scope, before or after the claim's
 * SET) is not compensating, has no cancel or pause requested, is not past its
 * deadline, and its first unfinished step is pending (or left running by a
 * dead worker) and placed here.
 */
function startsStep(d: SqlDialect, sql: SqlStatement, request: ClaimRequest & { start: object }): string {
  const no = d.postgres ? 'FALSE' : '0';
  return (
    `(status IN ('pending', 'running') AND cancel_requested = ${no} AND pause_requested = ${no}` +
    ` AND (${deadline(d, sql, request.now)} IS NULL OR ${deadline(d, sql, request.now)} > ${d.now(sql, request.now)})` +
    ` AND EXISTS (SELECT 1 FROM (${nextStep('n.status, n.placement', 'stepwise_tasks.id')}) f WHERE f.status IN ('pending', 'running')` +
    ` AND f.placement = ${sql.p(request.start.placement, 'varchar')}))`
  );
}

/**
 * UPDATE ... WHERE id AND <claimable> RETURNING the task, and whether it
 * starts its next step; `ids` (PostgreSQL) claims each of them that is
 * claimable, by the same rule, in one statement.
 */
function claimUpdate(
  d: SqlDialect,
  sql: SqlStatement,
  request: ClaimRequest,
  ids?: readonly string[],
  clearHeld = false,
): string {
  const now = () => d.now(sql, request.now);
  const start = request.start ? { ...request, start: request.start } : null;
  return (
    `UPDATE stepwise_tasks SET lease_owner = ${sql.p(request.workerId)},` +
    ` lease_expires_at = ${now()} + ${sql.p(request.leaseMs, 'bigint')},` +
    ` status = CASE WHEN status = 'compensating' THEN 'compensating' ELSE 'running' END,` +
    ` started_at = COALESCE(started_at, ${now()}), deadline_at = ${deadline(d, sql, request.now)},` +
    (start ? ` message = CASE WHEN ${startsStep(d, sql, start)} THEN NULL ELSE message END,` : '') +
    // Only the claim under limits: a plain task is never held, its claim writes no more.
    (clearHeld ? ' held_reason = NULL, held_since = NULL,' : '') +
    ` updated_at = ${now()}, version = version + 1 WHERE ${ids ? `id = ANY(${sql.p(ids, 'varchar[]')})` : `id = ${sql.p(request.taskId)}`} AND ${claimable(d, sql, request)}` +
    ` RETURNING *, ${start ? startsStep(d, sql, start) : d.postgres ? 'FALSE' : '0'} AS starts`
  );
}

const STARTED_STEP =
  "UPDATE stepwise_task_steps SET status = 'running', attempts = attempts + 1, started_at = %NOW%, error = NULL";
const STEP_EVENT =
  'INSERT INTO stepwise_task_events (task_id, owner, type, task_type, status, progress, step, step_status, message, at)';

/**
 * PostgreSQL: the claims of several tasks by one worker (the same request
 * but for the task ids; each row claimed by the rule or not at all), the
 * steps they start and those steps' events, in one statement; answers a row
 * per claimed task (its steps as they were), with `started_step` and
 * `started_event` (null when no step started). A lone claim names its id
 * (`id = $n`), not an array: see `batch-statements.ts` on plans.
 */
export function claimTasks(d: SqlDialect, request: ClaimRequest, ids: readonly string[], clearHeld = false): Built {
  const sql = d.statement();
  request = ids.length === 1 ? { ...request, taskId: ids[0] } : request;
  // The index scan visits (and locks) the rows in key order whatever the order of `ids`, so two
  // batches sharing ids (a task woken twice) wait for each other rather than deadlock.
  const update = claimUpdate(d, sql, request, ids.length === 1 ? undefined : ids, clearHeld);
  const steps = '(SELECT json_agg(x) FROM stepwise_task_steps x WHERE x.task_id = c.id) AS steps';
  if (!request.start) return built(sql, `WITH c AS (${update}) SELECT c.*, ${steps} FROM c`);
  const now = d.now(sql, request.now);
  return built(
    sql,
    `WITH c AS (${update}),` +
      ` s AS (${STARTED_STEP.replace('%NOW%', now)} FROM c WHERE c.starts AND stepwise_task_steps.task_id = c.id` +
      ` AND stepwise_task_steps.name = (${nextStep('n.name', 'c.id')})` +
      ` RETURNING stepwise_task_steps.*),` +
      ` e AS (${STEP_EVENT} SELECT c.id, c.owner, 'task.step', c.type, c.status, c.progress, s.name, 'running', NULL, ${now}` +
      ` FROM c JOIN s ON s.task_id = c.id RETURNING id, at, task_id)` +
      // Joined, not looked up per row of c (a scan of s and e per claimed task).
      ` SELECT c.*, ${steps}, row_to_json(s) AS started_step, row_to_json(e) AS started_event` +
      ` FROM c LEFT JOIN s ON s.task_id = c.id LEFT JOIN e ON e.task_id = c.id`,
  );
}

/** SQLite, step 1 of the claim's transaction: the claim itself. */
export function claimRow(d: SqlDialect, request: ClaimRequest, clearHeld = false): Built {
  const sql = d.statement();
  return built(sql, claimUpdate(d, sql, request, undefined, clearHeld));
}

/** SQLite, step 2 when the claim starts a step: the step, then its event. */
export function startNextStep(d: SqlDialect, taskId: string, now: number): Built {
  const sql = d.statement();
  return built(
    sql,
    `${STARTED_STEP.replace('%NOW%', sql.p(now))} WHERE task_id = ${sql.p(taskId)}` +
      ` AND name = (${nextStep('n.name', sql.p(taskId))})` +
      ' RETURNING *',
  );
}

export function startedStepEvent(d: SqlDialect, taskId: string, step: string, now: number): Built {
  const sql = d.statement();
  return built(
    sql,
    `${STEP_EVENT} SELECT id, owner, 'task.step', type, status, progress, ${sql.p(step)}, 'running', NULL, ${sql.p(now)}` +
      ` FROM stepwise_tasks WHERE id = ${sql.p(taskId)} RETURNING id, at`,
  );
}

export function stepsOf(d: SqlDialect, taskId: string): Built {
  const sql = d.statement();
  return built(sql, `SELECT * FROM stepwise_task_steps WHERE task_id = ${sql.p(taskId)}`);
}
