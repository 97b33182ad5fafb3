import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { sqliteTransaction } from './sqlite-transaction';
import type { Built } from './task-writes';

type Raw = Record<string, unknown>;

/** Runs one hand-written statement of the hot path; answers its rows. */
export type HotPathStatement = (statement: Built) => Promise<Raw[]>;

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] } | string): Promise<{ rows: Raw[] }>;
  release(error?: unknown): void;
}

interface PgPool {
  connect(): Promise<PgClient>;
}

/**
 * How long a connection keeps the plans of its prepared statements: 1 s after
 * its first statement, then twice as long each time, up to 5 minutes. A plan
 * is made for the table as it is then, and one made while the table was
 * small (a new deployment, a benchmark) scans it whole: PostgreSQL keeps it
 * until autovacuum next analyzes the table, a minute or more later and the
 * table many times larger (a save of 40 tasks read 6,000 rows in the
 * benchmark). Past its age, `DISCARD PLANS` has the connection plan again for
 * the table as it has grown; the statements stay prepared.
 */
export const PLAN_AGES_MS = { first: 1_000, max: 300_000 };

/**
 * The hot path's statements as prepared statements: on PostgreSQL each text
 * is parsed and planned once per connection (named by a hash of the text),
 * which costs less than half of running it unnamed through the query runner
 * (measured: 0.44 vs 1.1 ms for the claim); on SQLite, better-sqlite3's own
 * prepared statements, run synchronously. TypeORM's logger still sees every
 * statement.
 */
export function hotPathStatements(dataSource: DataSource, postgres: boolean): HotPathStatement {
  if (!postgres) return async (statement) => sqliteTransaction(dataSource, (run) => run(statement));
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `stepwise_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
    return name;
  };
  const planned = new WeakMap<PgClient, { since: number; ageMs: number }>();
  return async ({ sql, params }) => {
    dataSource.logger.logQuery(sql, params);
    // The driver's pool, read at each call: TypeORM replaces it when it reconnects.
    const pool = (dataSource.driver as unknown as { master: PgPool }).master;
    const client = await pool.connect();
    try {
      const now = Date.now();
      const plans = planned.get(client);
      if (!plans) planned.set(client, { since: now, ageMs: PLAN_AGES_MS.first });
      else if (now - plans.since > plans.ageMs) {
        // Upkeep of the connection, not a statement of any task: not logged.
        await client.query('DISCARD PLANS');
        planned.set(client, { since: now, ageMs: Math.min(plans.ageMs * 2, PLAN_AGES_MS.max) });
      }
      const { rows } = await client.query({ name: nameOf(sql), text: sql, values: params });
      client.release();
      return rows;
    } catch (error) {
      // As the pool's own query does: a connection that failed a statement is not reused.
      client.release(error);
      throw error;
    }
  };
}
