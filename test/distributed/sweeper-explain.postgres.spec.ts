import type { DataSource, Logger } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmTaskStore } from '../../libs/tasks/src/adapters/typeorm';
import { PostgresServer } from './harness/postgres-server';

/**
 * The sweeper runs its queries every few seconds in every process, forever:
 * at a million rows in `stepwise_tasks` (nearly all finished, as a table
 * without a short retention looks after a while) each must be an index scan,
 * never a scan of the table. The queries are not copied here: the test calls
 * the store's methods the sweeper calls, with the sweeper's arguments,
 * records the SQL and parameters TypeORM sends (a query logger on the store's
 * own DataSource), and EXPLAINs exactly those.
 */

const ROWS = 1_000_000;
/** What the sweeper passes: `pendingGraceMs` (the default setting) and its batch sizes. */
const PENDING_GRACE_MS = 10_000;
const DUE_LIMIT = 500;
const RETENTION_LIMIT = 100;
/** A retention of a week; the data spans a little more, so a tail of rows is past it, as between two passes. */
const RETENTION_MS = 7 * 24 * 3_600_000;
/** Time between two creations: a million rows over 7 days and a few minutes. */
const SPACING_MS = 605;
const TYPES = ['countdown', 'create-zip', 'csv-import'];

/**
 * The non-terminal rows, newest first (rank 0 is the newest task): a few
 * thousand pending and overdue, some waiting on a retry's backoff, some
 * paused, running ones with live and with expired leases (more than one
 * sweeper batch of those: a cluster whose workers all died), compensating,
 * and cancels not acted on yet. Everything older is finished: 2% cancelled
 * (their `cancel_requested` stays true), 4% failed, the rest completed.
 */
const MIX: Array<[kind: string, rows: number]> = [
  ['pending overdue', 3_000],
  ['pending backoff', 500],
  ['paused', 200],
  ['running live', 400],
  ['running expired', 700],
  ['compensating expired', 50],
  ['pending cancel requested', 300],
  ['running cancel requested', 100],
];

/** One INSERT ... SELECT generate_series: the mix above, then finished tasks. */
function populate(now: number): { sql: string; params: unknown[] } {
  let from = 0;
  const kindOf = MIX.map(([kind, rows]) => {
    const clause = `WHEN k < ${from + rows} THEN '${kind}'`;
    from += rows;
    return clause;
  }).join(' ');
  const sql = `
    INSERT INTO stepwise_tasks (id, type, queue, owner, status, placement, priority, input, output, result_file,
      progress, message, error, idempotency_key, callback_url, cancel_requested, pause_requested, version,
      lease_owner, lease_expires_at, run_at, deadline_at, created_at, updated_at, started_at, finished_at)
    SELECT md5(k::text)::uuid::text, type, CASE WHEN type = 'countdown' THEN 'default' ELSE 'files' END,
      'owner-' || (k % 200), status, 'worker', 0, '{"ticks":3,"tickMs":1000}',
      CASE WHEN status = 'completed' THEN '{"ticks":3}' END, NULL,
      CASE WHEN status = 'completed' THEN 1 ELSE 0.5 END, NULL,
      CASE WHEN status = 'failed' THEN '{"name":"Error","message":"boom"}' END,
      CASE WHEN k % 3 = 0 THEN 'key-' || k END, NULL,
      COALESCE(kind LIKE '%cancel requested', FALSE) OR status = 'cancelled', COALESCE(kind = 'paused', FALSE), 4,
      CASE WHEN status IN ('running', 'compensating') THEN 'host:' || (1000 + k % 7) || ':abcd1234' END,
      CASE WHEN kind = 'running live' OR kind = 'running cancel requested' THEN $1::bigint + 20000
           WHEN kind LIKE '% expired' THEN $1::bigint - 5000 - k END,
      CASE WHEN kind = 'pending backoff' THEN $1::bigint + 60000 + k ELSE created END,
      NULL, created, created + 3000, created + 100,
      CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN created + 3000 END
    FROM (
      SELECT k, $1::bigint - k * ${SPACING_MS} AS created, kind,
        CASE WHEN k % 10 = 0 THEN 'create-zip' WHEN k % 10 = 1 THEN 'csv-import' ELSE 'countdown' END AS type,
        CASE WHEN kind IS NULL THEN (CASE WHEN k % 100 < 2 THEN 'cancelled' WHEN k % 100 < 6 THEN 'failed' ELSE 'completed' END)
             WHEN kind LIKE 'pending%' THEN 'pending'
             WHEN kind LIKE 'running%' THEN 'running'
             ELSE split_part(kind, ' ', 1) END AS status
      FROM (SELECT k, CASE ${kindOf} END AS kind FROM generate_series(0, $2::int - 1) AS k) ranked
    ) rows`;
  return { sql, params: [now, ROWS] };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const INDEX_SCANS = ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'];

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** `Index Scan using IDX_x on stepwise_tasks`, ... : what the plan reads and how. */
function scans(plan: PlanNode): string[] {
  return nodes(plan)
    .filter((n) => /Scan/.test(n['Node Type']))
    .map((n) =>
      [n['Node Type'], n['Index Name'] && `using ${n['Index Name']}`, n['Relation Name'] && `on ${n['Relation Name']}`]
        .filter(Boolean)
        .join(' '),
    );
}

describe('the sweeper on a million tasks: every query is an index scan', () => {
  const postgres = new PostgresServer();
  let dataSource: DataSource | undefined;
  let store: TypeOrmTaskStore;
  /** Indexes of stepwise_tasks, by name: a Bitmap Index Scan names only its index. */
  let taskIndexes = new Set<string>();
  let recording: Array<{ sql: string; params: unknown[] }> | undefined;
  const now = Date.now();
  const report: string[] = [];

  beforeAll(async () => {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
    const started = Date.now();
    const { sql, params } = populate(now);
    await dataSource.query(sql, params);
    // As autovacuum would have left a table this old: statistics and the visibility map.
    await dataSource.query('VACUUM ANALYZE stepwise_tasks');
    report.push(`${ROWS} rows inserted and analysed in ${Date.now() - started} ms`);
    const rows = await dataSource.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'stepwise_tasks'`);
    taskIndexes = new Set((rows as Array<{ indexname: string }>).map((r) => r.indexname));
    const logger: Logger = {
      logQuery: (query, parameters) => void recording?.push({ sql: query, params: toArray(parameters) }),
      logQueryError: () => undefined,
      logQuerySlow: () => undefined,
      logSchemaBuild: () => undefined,
      logMigration: () => undefined,
      log: () => undefined,
    };
    dataSource.setOptions({ logger });
    store = new TypeOrmTaskStore(dataSource);
  }, 180_000);

  afterAll(async () => {
    if (report.length) console.log(`sweeper EXPLAIN:\n${report.join('\n')}`);
    await dataSource?.destroy();
    await postgres.stop();
  }, 60_000);

  /** The statements `call` sends to PostgreSQL. */
  const record = async (call: () => Promise<unknown>): Promise<Array<{ sql: string; params: unknown[] }>> => {
    recording = [];
    try {
      await call();
      return recording.filter((q) => /^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b/i.test(q.sql));
    } finally {
      recording = undefined;
    }
  };

  /** EXPLAINs each statement; returns one line per statement that reads stepwise_tasks other than by an index. */
  const explain = async (what: string, statements: Array<{ sql: string; params: unknown[] }>): Promise<string[]> => {
    const bad: string[] = [];
    for (const [i, { sql, params }] of statements.entries()) {
      const [row] = (await dataSource!.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as Array<{
        'QUERY PLAN': Array<{ Plan: PlanNode }>;
      }>;
      const plan = row['QUERY PLAN'][0].Plan;
      const all = nodes(plan);
      const seqScans = all.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'stepwise_tasks');
      const byIndex = all.filter((n) => INDEX_SCANS.includes(n['Node Type']) && taskIndexes.has(n['Index Name'] ?? ''));
      const summary = `${what} #${i + 1}: ${scans(plan).join(', ')}`;
      report.push(summary);
      if (seqScans.length > 0 || byIndex.length === 0) {
        bad.push(
          `${summary}\n  SQL: ${sql.replace(/\s+/g, ' ').replace(/"/g, '').trim()}\n  params: ${JSON.stringify(params)}`,
        );
      }
    }
    return bad;
  };

  it('has the mix of a long-lived table', async () => {
    const rows = await dataSource!.query(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE status = 'pending' AND run_at <= $1::bigint - $2) AS overdue,
              count(*) FILTER (WHERE status IN ('running', 'compensating') AND lease_expires_at < $1) AS expired,
              count(*) FILTER (WHERE cancel_requested AND status NOT IN ('completed', 'failed', 'cancelled')) AS cancels,
              count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled')) AS finished,
              count(*) FILTER (WHERE finished_at < $1::bigint - $3) AS "pastRetention"
         FROM stepwise_tasks`,
      [now, PENDING_GRACE_MS, RETENTION_MS],
    );
    const mix = Object.fromEntries(Object.entries(rows[0] as Record<string, string>).map(([k, v]) => [k, Number(v)]));
    report.push(`mix: ${JSON.stringify(mix)}`);
    expect(mix.total).toBe(ROWS);
    expect(mix.overdue).toBeGreaterThan(2_500);
    expect(mix.expired).toBe(750);
    expect(mix.cancels).toBe(400);
    expect(mix.finished).toBeGreaterThan(990_000);
    expect(mix.pastRetention).toBeGreaterThan(0);
  });

  it('findDue: every query of a pass (and of the next page, if it pages) uses an index', async () => {
    const statements = await record(() => sweeperFindDue(store, now));
    expect(statements.length).toBeGreaterThan(0);
    expect(await explain('findDue', statements)).toEqual([]);
  });

  it('findFinishedBefore (retention, when one is set): every query uses an index', async () => {
    const statements = await record(async () => {
      for (const type of TYPES) await store.findFinishedBefore(type, now - RETENTION_MS, RETENTION_LIMIT);
    });
    expect(statements.length).toBe(TYPES.length);
    expect(await explain('findFinishedBefore', statements)).toEqual([]);
  });

  it('countActive (the activeTasks quota, at every submit): one query, on the (owner, status) index', async () => {
    let active = -1;
    const statements = await record(async () => {
      active = await store.countActive('owner-7');
    });
    expect(statements.length).toBe(1);
    expect(active).toBeGreaterThan(0);
    expect(await explain('countActive', statements)).toEqual([]);
  });
});

/**
 * One sweeper pass's `findDue`, whichever shape the store has: today's
 * `findDue(now, pendingGraceMs, limit)`, or a query object with a cursor
 * (`findDue({ now, pendingGraceMs, limit, after })` returning `{ next }`),
 * whose follow-up page (the keyset condition) is a query of its own.
 */
async function sweeperFindDue(store: TypeOrmTaskStore, now: number): Promise<void> {
  const findDue = store.findDue.bind(store) as unknown as (...args: unknown[]) => Promise<unknown>;
  if (store.findDue.length >= 3) {
    await findDue(now, PENDING_GRACE_MS, DUE_LIMIT);
    return;
  }
  const query = { now, pendingGraceMs: PENDING_GRACE_MS, limit: DUE_LIMIT };
  const first = (await findDue(query)) as { next?: unknown } | null;
  if (first?.next) await findDue({ ...query, after: first.next });
}

function toArray(parameters: unknown): unknown[] {
  if (Array.isArray(parameters)) return parameters;
  return parameters === undefined ? [] : Object.values(parameters as Record<string, unknown>);
}
