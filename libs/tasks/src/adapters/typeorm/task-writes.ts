import type { StepRecord, TaskEvent, TaskRecord } from '../../model';
import type { NewTask, NewWebhookDelivery, ProgressChange } from '../../ports';
import { deliveriesCte } from './delivery-writes';
import { jsonParam } from './raw-rows';
import { DATABASE_NOW, type SqlDialect, type SqlStatement } from './sql-statement';

// The task's state transitions as hand-written SQL. Each is one conditional
// statement whose WHERE is the rule; on PostgreSQL, what goes with it (steps,
// events, their webhook deliveries) rides in the same statement as data-modifying CTEs, so a transition
// is one round trip and atomic. SQLite has no such CTEs: the store runs the
// same pieces in one transaction (an in-process call, not a round trip).

export const TERMINAL_SQL = `('completed', 'failed', 'cancelled')`;

export interface Built {
  sql: string;
  params: unknown[];
}

export const built = (sql: SqlStatement, text: string): Built => ({ sql: text, params: sql.params });

export function renewLease(d: SqlDialect, taskId: string, workerId: string, leaseMs: number, now: number): Built {
  const sql = d.statement();
  const until = `${d.now(sql, now)} + ${sql.p(leaseMs, 'bigint')}`;
  const update =
    `UPDATE stepwise_tasks SET lease_expires_at = ${until} WHERE id = ${sql.p(taskId)} AND lease_owner = ${sql.p(workerId)}` +
    ` RETURNING cancel_requested, pause_requested, delete_requested`;
  // TypeORM answers a bare UPDATE on PostgreSQL with [rows, count]; a SELECT answers rows.
  return built(sql, d.postgres ? `WITH r AS (${update}) SELECT * FROM r` : update);
}

export interface SaveChange {
  steps: readonly StepRecord[];
  events: readonly TaskEvent[];
  deliveries?: readonly NewWebhookDelivery[];
  runAfterMs?: number;
  whilePauseRequested?: boolean;
}

/**
 * The lease holder's write of what it owns: status, placement, progress,
 * outcome, times. Never the input, the identity, the flags others set, nor a
 * held lease's expiry (heartbeats own it); a null owner releases the lease.
 */
export function updateHeldTask(
  d: SqlDialect,
  sql: SqlStatement,
  task: TaskRecord,
  workerId: string,
  runAfterMs?: number,
  whilePauseRequested = false,
  waitingFor: string | null = null,
) {
  const release = task.leaseOwner === null ? ', lease_owner = NULL, lease_expires_at = NULL' : '';
  // Built in text order: SQLite's `?` are positional.
  const runAt = () =>
    runAfterMs === undefined
      ? ''
      : `, run_at = ${d.databaseClock ? `${d.now(sql, 0)} + ${sql.p(runAfterMs, 'bigint')}` : sql.p(task.runAt)}`;
  return (
    `UPDATE stepwise_tasks SET status = ${sql.p(task.status)}, placement = ${sql.p(task.placement)},` +
    ` output = ${sql.p(jsonParam(task.output))}, result_file = ${sql.p(jsonParam(task.resultFile))},` +
    ` progress = ${sql.p(task.progress)}, message = ${sql.p(task.message)}, error = ${sql.p(jsonParam(task.error))},` +
    ` deadline_at = ${sql.p(task.deadlineAt)}, updated_at = ${sql.p(task.updatedAt)},` +
    ` started_at = ${sql.p(task.startedAt)}, finished_at = ${sql.p(task.finishedAt)}${runAt()}${release},` +
    // A lease holder's task waits for nothing: only a suspension sets a wait.
    ` waiting_for = ${waitingFor === null ? 'NULL' : sql.p(waitingFor)},` +
    ` version = version + 1 WHERE id = ${sql.p(task.id)} AND lease_owner = ${sql.p(workerId)}` +
    (whilePauseRequested ? ` AND pause_requested = ${d.postgres ? 'TRUE' : '1'}` : '')
  );
}

export const STEP_COLUMNS =
  'name, step_order, placement, status, attempts, abandoned, progress, output, error, started_at, finished_at';
export const STEP_UPDATES = STEP_COLUMNS.split(', ')
  .slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

function stepValues(sql: SqlStatement, steps: readonly StepRecord[], taskId?: string): string {
  return steps
    .map(
      (s) =>
        `(${taskId === undefined ? '' : `${sql.p(taskId)}, `}${sql.p(s.name, 'varchar')}, ${sql.p(s.order, 'int')}, ${sql.p(s.on, 'varchar')}, ${sql.p(s.status, 'varchar')},` +
        ` ${sql.p(s.attempts, 'int')}, ${sql.p(s.abandoned, 'int')}, ${sql.p(s.progress, 'float8')}, ${sql.p(jsonParam(s.output), 'text')},` +
        ` ${sql.p(jsonParam(s.error), 'text')}, ${sql.p(s.startedAt, 'bigint')}, ${sql.p(s.finishedAt, 'bigint')})`,
    )
    .join(', ');
}

export const EVENT_COLUMNS = 'owner, type, task_type, status, progress, step, step_status, message, at, actor';

export function eventValues(sql: SqlStatement, events: readonly TaskEvent[], taskId?: string): string {
  return events
    .map(
      (e) =>
        `(${taskId === undefined ? '' : `${sql.p(taskId)}, `}${sql.p(e.owner, 'varchar')}, ${sql.p(e.type, 'varchar')}, ${sql.p(e.taskType, 'varchar')}, ${sql.p(e.status, 'varchar')},` +
        ` ${sql.p(e.progress, 'float8')}, ${sql.p(e.step ?? null, 'varchar')}, ${sql.p(e.stepStatus ?? null, 'varchar')},` +
        ` ${sql.p(e.message ?? null, 'text')}, ${sql.p(e.at, 'bigint')}, ${sql.p(e.actor ?? null, 'varchar')})`,
    )
    .join(', ');
}

/** Steps of one task, inserted or brought up to date. */
export function upsertSteps(d: SqlDialect, taskId: string, steps: readonly StepRecord[]): Built {
  const sql = d.statement();
  return built(
    sql,
    `INSERT INTO stepwise_task_steps (task_id, ${STEP_COLUMNS}) VALUES ${stepValues(sql, steps, taskId)}` +
      ` ON CONFLICT (task_id, name) DO UPDATE SET ${STEP_UPDATES}`,
  );
}

/** Events of one task, appended; RETURNING their positions in the log. */
export function insertEvents(d: SqlDialect, taskId: string, events: readonly TaskEvent[]): Built {
  const sql = d.statement();
  return built(
    sql,
    `INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) VALUES ${eventValues(sql, events, taskId)} RETURNING id`,
  );
}

/** PostgreSQL: the held-task update with its steps, events and deliveries, in one statement. */
export function saveHeldTask(d: SqlDialect, task: TaskRecord, workerId: string, change: SaveChange): Built {
  const sql = d.statement();
  const update = updateHeldTask(d, sql, task, workerId, change.runAfterMs, change.whilePauseRequested);
  const parts = [`t AS (${update} RETURNING id, version)`];
  parts.push(...cteRows(sql, change.steps, change.events, change.deliveries));
  const seqs = change.events.length ? `(SELECT json_agg(id ORDER BY id) FROM e)` : 'NULL';
  return built(sql, `WITH ${parts.join(', ')} SELECT t.id, t.version, ${seqs} AS seqs FROM t`);
}

/** The steps, events and deliveries CTEs that follow a CTE `t` yielding the task's id (nothing when `t` is empty). */
function cteRows(
  sql: SqlStatement,
  steps: readonly StepRecord[],
  events: readonly TaskEvent[],
  deliveries: readonly NewWebhookDelivery[] = [],
): string[] {
  const parts: string[] = [];
  if (steps.length) {
    parts.push(
      `s AS (INSERT INTO stepwise_task_steps (task_id, ${STEP_COLUMNS}) SELECT t.id, v.* FROM t,` +
        ` (VALUES ${stepValues(sql, steps)}) AS v(${STEP_COLUMNS}) ON CONFLICT (task_id, name) DO UPDATE SET ${STEP_UPDATES})`,
    );
  }
  if (events.length) {
    parts.push(
      `e AS (INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) SELECT t.id, v.* FROM t,` +
        ` (VALUES ${eventValues(sql, events)}) AS v(${EVENT_COLUMNS}) RETURNING id)`,
    );
  }
  if (deliveries.length) parts.push(deliveriesCte(sql, deliveries));
  return parts;
}

/** A new task's columns with their PostgreSQL types (unnest's casts); `version` is 1 and the lease empty. */
export const NEW_TASK_COLUMNS: readonly (readonly [name: string, pgType: string])[] = [
  ['id', 'varchar'],
  ['type', 'varchar'],
  ['queue', 'varchar'],
  ['owner', 'varchar'],
  ['status', 'varchar'],
  ['placement', 'varchar'],
  ['priority', 'int'],
  ['input', 'text'],
  ['output', 'text'],
  ['result_file', 'text'],
  ['progress', 'float8'],
  ['message', 'text'],
  ['error', 'text'],
  ['idempotency_key', 'varchar'],
  ['callback_url', 'text'],
  ['cancel_requested', 'bool'],
  ['pause_requested', 'bool'],
  // On the database clock the delay from the submit (its own clock's runAt - createdAt), else runAt.
  ['run_at', 'int8'],
  ['deadline_at', 'int8'],
  ['created_at', 'int8'],
  ['updated_at', 'int8'],
  ['started_at', 'int8'],
  ['finished_at', 'int8'],
  ['timeout_ms', 'int8'],
  ['request_fingerprint', 'varchar'],
  ['singleton_key', 'varchar'],
  ['traceparent', 'varchar'],
  ['tracestate', 'varchar'],
  ['parent_id', 'varchar'],
];

/** A new task's values, in {@link NEW_TASK_COLUMNS}' order. */
export function newTaskRow(d: SqlDialect, task: NewTask): unknown[] {
  return [
    task.id,
    task.type,
    task.queue,
    task.owner,
    task.status,
    task.placement,
    task.priority,
    jsonParam(task.input),
    jsonParam(task.output),
    jsonParam(task.resultFile),
    task.progress,
    task.message,
    jsonParam(task.error),
    task.idempotencyKey,
    task.callbackUrl,
    task.cancelRequested,
    task.pauseRequested,
    d.databaseClock ? Math.max(0, task.runAt - task.createdAt) : task.runAt,
    task.deadlineAt,
    task.createdAt,
    task.updatedAt,
    task.startedAt,
    task.finishedAt,
    task.timeoutMs,
    task.requestFingerprint,
    task.singletonKey,
    task.traceparent ?? null,
    task.tracestate ?? null,
    task.parentId ?? null,
  ];
}

export function insertTask(d: SqlDialect, sql: SqlStatement, task: NewTask): string {
  const row = newTaskRow(d, task);
  // On the database clock the row holds the delay: the task is due after it on that clock, not the submitter's.
  const values = NEW_TASK_COLUMNS.map(([name], i) =>
    name === 'run_at' && d.databaseClock ? `${DATABASE_NOW} + ${sql.p(row[i], 'bigint')}` : sql.p(row[i]),
  );
  const columns = NEW_TASK_COLUMNS.map(([name]) => name).join(', ');
  // A lost race on the idempotency or singleton key inserts nothing; the caller then reads the winner.
  return `INSERT INTO stepwise_tasks (${columns}, version) VALUES (${values.join(', ')}, 1) ON CONFLICT DO NOTHING`;
}

/** PostgreSQL: a new task with its steps, its `task.created` event and that event's deliveries, in one statement. */
export function createTask(
  d: SqlDialect,
  task: NewTask,
  events: readonly TaskEvent[],
  deliveries: readonly NewWebhookDelivery[] = [],
): Built {
  const sql = d.statement();
  const parts = [`t AS (${insertTask(d, sql, task)} RETURNING id)`, ...cteRows(sql, task.steps, events, deliveries)];
  const seqs = events.length ? `(SELECT json_agg(id ORDER BY id) FROM e)` : 'NULL';
  return built(sql, `WITH ${parts.join(', ')} SELECT t.id, ${seqs} AS seqs FROM t`);
}

/** A progress report: the progress columns of the task and its step, nothing else. */
export function updateProgress(sql: SqlStatement, taskId: string, workerId: string, change: ProgressChange) {
  return (
    `UPDATE stepwise_tasks SET progress = ${sql.p(change.progress)}, message = ${sql.p(change.message)},` +
    ` updated_at = ${sql.p(change.updatedAt)} WHERE id = ${sql.p(taskId)} AND lease_owner = ${sql.p(workerId)}`
  );
}

export function updateStepProgress(sql: SqlStatement, taskId: string, change: ProgressChange) {
  return `UPDATE stepwise_task_steps SET progress = ${sql.p(change.stepProgress)} WHERE task_id = ${sql.p(taskId)} AND name = ${sql.p(change.step)}`;
}

/** PostgreSQL: the progress write with its step, event and deliveries, in one statement. */
export function saveProgress(
  d: SqlDialect,
  taskId: string,
  workerId: string,
  change: ProgressChange,
  events: readonly TaskEvent[],
  deliveries: readonly NewWebhookDelivery[] = [],
): Built {
  const sql = d.statement();
  const parts = [`t AS (${updateProgress(sql, taskId, workerId, change)} RETURNING id)`];
  parts.push(
    `p AS (UPDATE stepwise_task_steps SET progress = ${sql.p(change.stepProgress)} FROM t` +
      ` WHERE stepwise_task_steps.task_id = t.id AND stepwise_task_steps.name = ${sql.p(change.step)})`,
  );
  parts.push(...cteRows(sql, [], events, deliveries));
  const seqs = events.length ? `(SELECT json_agg(id ORDER BY id) FROM e)` : 'NULL';
  return built(sql, `WITH ${parts.join(', ')} SELECT t.id, ${seqs} AS seqs FROM t`);
}

/**
 * PostgreSQL: an event with no state change, and its deliveries, in one
 * statement. The event is appended whatever the task's state; the deliveries
 * only while the task exists, its row share-locked so that a delete waits
 * for this statement and then removes them with it.
 */
export function appendEventWithDeliveries(
  d: SqlDialect,
  event: TaskEvent,
  deliveries: readonly NewWebhookDelivery[],
): Built {
  const sql = d.statement();
  const parts = [
    `k AS (SELECT id FROM stepwise_tasks WHERE id = ${sql.p(event.taskId)} FOR KEY SHARE)`,
    `e AS (INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) VALUES ${eventValues(sql, [event], event.taskId)} RETURNING id)`,
    deliveriesCte(sql, deliveries, 'k'),
  ];
  return built(sql, `WITH ${parts.join(', ')} SELECT id FROM e`);
}
