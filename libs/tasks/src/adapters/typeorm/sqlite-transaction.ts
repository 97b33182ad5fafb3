import type { DataSource } from 'typeorm';
import type { Built } from './task-writes';

type Raw = Record<string, unknown>;

/** The part of better-sqlite3's API this file uses. */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): Raw[];
  run(...params: unknown[]): unknown;
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  transaction<T>(fn: () => T): () => T;
}

/** Runs one statement inside {@link sqliteTransaction}: the rows it returns (none for a write without RETURNING). */
export type RunStatement = (statement: Built) => Raw[];

const prepared = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

/**
 * SQLite: runs `work`'s statements as one transaction, synchronously, on the
 * DataSource's better-sqlite3 connection. Synchronous is the point: a
 * transaction held open across an `await` lets another connection of this
 * process (tests simulate two processes so) block the only thread on the lock
 * it holds; and it costs no promise round trips. Statements are prepared once.
 */
export function sqliteTransaction<T>(dataSource: DataSource, work: (run: RunStatement) => T): T {
  const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
  let cache = prepared.get(db);
  if (!cache) prepared.set(db, (cache = new Map()));
  const statements = cache;
  const run: RunStatement = ({ sql, params }) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    if (statement.reader) return statement.all(...params);
    statement.run(...params);
    return [];
  };
  return db.transaction(() => work(run))();
}
