import type { StepRecord, TaskEvent, TaskRecord } from '../../model';
import type { NewTask, NewWebhookDelivery } from '../../ports';
import { newDeliveryRecord } from '../../ports/webhook-outbox';
import { DELIVERY_COLUMNS } from './delivery-writes';
import { jsonParam } from './raw-rows';
import { DATABASE_NOW, type SqlDialect, type SqlStatement } from './sql-statement';
import {
  built,
  EVENT_COLUMNS,
  NEW_TASK_COLUMNS,
  newTaskRow,
  STEP_COLUMNS,
  STEP_UPDATES,
  type Built,
} from './task-writes';

// PostgreSQL: the create and the lease holder's write of many tasks in one
// statement each (the store's group commit: the calls of one moment become
// one round trip, one transaction). Each row keeps its own rule: a task whose
// insert conflicts is not created, a task whose lease is not held is not
// written, and nothing goes with a row that was not (its steps, events and
// deliveries join the rows the statement did write). The rows travel as one
// array per column (`unnest`), so one prepared text serves any number.
//
// Only batches of two or more: PostgreSQL cannot know an array parameter's
// length when it plans once for all calls, costs the generic plan for 10 rows
// and so keeps planning each call anew for its actual count (measured: a lone
// claim 0.83 ms this way, 0.36 ms as the single-row statement with its
// generic plan). A lone call runs the single-row statement of task-writes.ts
// (claim: `id = $n`); a batch pays its planning once for all its rows.

type Column = readonly [name: string, pgType: string];

/** `unnest(...) AS alias(columns)`: `rows` as a table, one array parameter per column. */
function unnest(sql: SqlStatement, columns: readonly Column[], rows: readonly unknown[][], alias: string): string {
  const arrays = columns.map(([, type], i) =>
    sql.p(
      rows.map((row) => row[i]),
      `${type}[]`,
    ),
  );
  return `unnest(${arrays.join(', ')}) WITH ORDINALITY AS ${alias}(${columns.map(([name]) => name).join(', ')}, ord)`;
}

const STEP_TYPES: readonly Column[] = [
  ['task_id', 'varchar'],
  ...(['varchar', 'int', 'varchar', 'varchar', 'int', 'int', 'float8', 'text', 'text', 'int8', 'int8'] as const).map(
    (type, i) => [STEP_COLUMNS.split(', ')[i], type] as const,
  ),
];

const stepRow = (taskId: string, s: StepRecord): unknown[] => [
  taskId,
  s.name,
  s.order,
  s.on,
  s.status,
  s.attempts,
  s.abandoned,
  s.progress,
  jsonParam(s.output),
  jsonParam(s.error),
  s.startedAt,
  s.finishedAt,
];

const EVENT_TYPES: readonly Column[] = [
  ['task_id', 'varchar'],
  ...(
    ['varchar', 'varchar', 'varchar', 'varchar', 'float8', 'varchar', 'varchar', 'text', 'int8', 'varchar'] as const
  ).map((type, i) => [EVENT_COLUMNS.split(', ')[i], type] as const),
];

const eventRow = (taskId: string, e: TaskEvent): unknown[] => [
  taskId,
  e.owner,
  e.type,
  e.taskType,
  e.status,
  e.progress,
  e.step ?? null,
  e.stepStatus ?? null,
  e.message ?? null,
  e.at,
  e.actor ?? null,
];

const DELIVERY_TYPES: readonly Column[] = [
  ['task_id', 'varchar'],
  ...(
    [
      'varchar',
      'varchar',
      'text',
      'varchar',
      'text',
      'varchar',
      'int',
      'int',
      'text',
      'int8',
      'bool',
      'text',
      'int8',
      'int8',
    ] as const
  ).map((type, i) => [DELIVERY_COLUMNS.split(', ')[i], type] as const),
];

function deliveryRow(taskId: string, delivery: NewWebhookDelivery): unknown[] {
  const row = newDeliveryRecord(delivery);
  return [
    taskId,
    row.id,
    row.event,
    row.url,
    row.target,
    row.payload,
    row.status,
    row.attempts,
    row.maxAttempts,
    row.lastError,
    row.nextAttemptAt,
    row.taskDeleted,
    JSON.stringify(row.history),
    row.createdAt,
    row.updatedAt,
  ];
}

/** What rides with a task's row: its steps (upserted), its events (appended, in order) and their deliveries. */
interface Riders {
  taskId: string;
  steps: readonly StepRecord[];
  events: readonly TaskEvent[];
  deliveries: readonly NewWebhookDelivery[];
}

/**
 * The CTEs that follow `t` (the rows written, by `id`): each rider joins its
 * task's row, so a row not written takes nothing with it. Events go in in
 * order (their ids ascend with it), and the final SELECT reads them per task.
 */
function riderCtes(sql: SqlStatement, items: readonly Riders[], stepConflict: 'upsert' | 'insert'): string[] {
  const parts: string[] = [];
  const steps = items.flatMap((item) => item.steps.map((s) => stepRow(item.taskId, s)));
  if (steps.length) {
    const onConflict = stepConflict === 'upsert' ? ` ON CONFLICT (task_id, name) DO UPDATE SET ${STEP_UPDATES}` : '';
    parts.push(
      `s AS (INSERT INTO stepwise_task_steps (task_id, ${STEP_COLUMNS}) SELECT x.task_id, ${prefixed('x', STEP_COLUMNS)}` +
        ` FROM t, ${unnest(sql, STEP_TYPES, steps, 'x')} WHERE x.task_id = t.id${onConflict})`,
    );
  }
  const events = items.flatMap((item) => item.events.map((e) => eventRow(item.taskId, e)));
  if (events.length) {
    parts.push(
      `e AS (INSERT INTO stepwise_task_events (task_id, ${EVENT_COLUMNS}) SELECT x.task_id, ${prefixed('x', EVENT_COLUMNS)}` +
        ` FROM t, ${unnest(sql, EVENT_TYPES, events, 'x')} WHERE x.task_id = t.id ORDER BY x.ord RETURNING id, task_id)`,
    );
  }
  const deliveries = items.flatMap((item) => item.deliveries.map((d) => deliveryRow(item.taskId, d)));
  if (deliveries.length) {
    parts.push(
      `w AS (INSERT INTO stepwise_webhook_deliveries (task_id, ${DELIVERY_COLUMNS}) SELECT x.task_id, ${prefixed('x', DELIVERY_COLUMNS)}` +
        ` FROM t, ${unnest(sql, DELIVERY_TYPES, deliveries, 'x')} WHERE x.task_id = t.id)`,
    );
  }
  return parts;
}

/**
 * The final SELECT: per row of `t`, `columns` and `seqs`, the ids of its
 * events in order (NULL without events). Grouped once and joined, not looked
 * up per row (that scan of `e` for each row of `t` grows with the square of
 * the batch: 0.3 s for 1,000 saves).
 */
function answer(items: readonly Riders[], columns: string): string {
  if (!items.some((item) => item.events.length)) return `SELECT ${columns}, NULL AS seqs FROM t`;
  return (
    `SELECT ${columns}, g.seqs FROM t LEFT JOIN` +
    ` (SELECT task_id, json_agg(id ORDER BY id) AS seqs FROM e GROUP BY task_id) g ON g.task_id = t.id`
  );
}

const prefixed = (alias: string, columns: string) =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

/** A task to create, with its `task.created` event and that event's deliveries. */
export interface CreateItem {
  task: NewTask;
  events: readonly TaskEvent[];
  deliveries: readonly NewWebhookDelivery[];
}

/**
 * New tasks with their steps, events and deliveries. A task that conflicts
 * (its idempotency key or its singleton key taken, before or earlier in the same batch) inserts
 * nothing and is absent from the answer; the others answer `id` and `seqs`
 * (their events' ids, in order). With `conflicts: 'fail'` a conflict fails
 * the statement instead: all rows or none. On the database clock a task is
 * due after its delay on that clock, not on the submitter's.
 */
export function createTasks(d: SqlDialect, items: readonly CreateItem[], conflicts: 'skip' | 'fail' = 'skip'): Built {
  const sql = d.statement();
  const columns = NEW_TASK_COLUMNS.map(([name]) => name);
  const select = columns.map((c) => (c === 'run_at' && d.databaseClock ? `${DATABASE_NOW} + v.run_at` : `v.${c}`));
  const v = unnest(
    sql,
    NEW_TASK_COLUMNS,
    items.map((item) => newTaskRow(d, item.task)),
    'v',
  );
  const riders = items.map(({ task, events, deliveries }) => ({
    taskId: task.id,
    steps: task.steps,
    events,
    deliveries,
  }));
  const parts = [
    `t AS (INSERT INTO stepwise_tasks (${columns.join(', ')}, version) SELECT ${select.join(', ')}, 1 FROM ${v}` +
      ` ORDER BY v.ord${conflicts === 'skip' ? ' ON CONFLICT DO NOTHING' : ''} RETURNING id)`,
    ...riderCtes(sql, riders, 'insert'),
  ];
  return built(sql, `WITH ${parts.join(', ')} ${answer(riders, 't.id')}`);
}

/** A lease holder's write of one task (see `updateHeldTask`), with what goes with it. */
export interface SaveItem {
  task: TaskRecord;
  workerId: string;
  steps: readonly StepRecord[];
  events: readonly TaskEvent[];
  deliveries: readonly NewWebhookDelivery[];
  runAfterMs?: number;
  whilePauseRequested?: boolean;
}

const HELD_TYPES: readonly Column[] = [
  ['id', 'varchar'],
  ['worker', 'varchar'],
  ['status', 'varchar'],
  ['placement', 'varchar'],
  ['output', 'text'],
  ['result_file', 'text'],
  ['progress', 'float8'],
  ['message', 'text'],
  ['error', 'text'],
  ['deadline_at', 'int8'],
  ['updated_at', 'int8'],
  ['started_at', 'int8'],
  ['finished_at', 'int8'],
  // NULL: run_at unchanged. Else the delay on the database clock, or the caller's runAt.
  ['run_at', 'int8'],
  ['release', 'bool'],
  ['while_paused', 'bool'],
];

function heldRow(d: SqlDialect, item: SaveItem): unknown[] {
  const { task } = item;
  const runAt = item.runAfterMs === undefined ? null : d.databaseClock ? item.runAfterMs : task.runAt;
  return [
    task.id,
    item.workerId,
    task.status,
    task.placement,
    jsonParam(task.output),
    jsonParam(task.resultFile),
    task.progress,
    task.message,
    jsonParam(task.error),
    task.deadlineAt,
    task.updatedAt,
    task.startedAt,
    task.finishedAt,
    runAt,
    task.leaseOwner === null,
    item.whilePauseRequested ?? false,
  ];
}

/**
 * The lease holders' writes of many tasks: each row is written only if its
 * worker still holds its lease (and, for a runner's pause, while the pause
 * is still requested); never the input, the identity, the flags others set,
 * nor a held lease's expiry; `release` clears the lease. Answers `id`,
 * `version` and `seqs` of the rows written.
 */
export function saveHeldTasks(d: SqlDialect, items: readonly SaveItem[]): Built {
  const sql = d.statement();
  const v = unnest(
    sql,
    HELD_TYPES,
    items.map((item) => heldRow(d, item)),
    'v',
  );
  const runAt = d.databaseClock
    ? `CASE WHEN v.run_at IS NULL THEN k.run_at ELSE ${DATABASE_NOW} + v.run_at END`
    : 'COALESCE(v.run_at, k.run_at)';
  const update =
    `UPDATE stepwise_tasks k SET status = v.status, placement = v.placement, output = v.output,` +
    ` result_file = v.result_file, progress = v.progress, message = v.message, error = v.error,` +
    ` deadline_at = v.deadline_at, updated_at = v.updated_at, started_at = v.started_at, finished_at = v.finished_at,` +
    ` run_at = ${runAt}, lease_owner = CASE WHEN v.release THEN NULL ELSE k.lease_owner END,` +
    ` lease_expires_at = CASE WHEN v.release THEN NULL ELSE k.lease_expires_at END, waiting_for = NULL,` +
    ` version = k.version + 1` +
    ` FROM ${v} WHERE k.id = v.id AND k.lease_owner = v.worker AND (NOT v.while_paused OR k.pause_requested)` +
    ` RETURNING k.id, k.version`;
  const riders = items.map(({ task, steps, events, deliveries }) => ({ taskId: task.id, steps, events, deliveries }));
  const parts = [`t AS (${update})`, ...riderCtes(sql, riders, 'upsert')];
  return built(sql, `WITH ${parts.join(', ')} ${answer(riders, 't.id, t.version')}`);
}
