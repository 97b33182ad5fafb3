import type { DataSource } from 'typeorm';

/** PostgreSQL's clock in epoch milliseconds, the unit of every time column. */
export const DATABASE_NOW = '(EXTRACT(EPOCH FROM now()) * 1000)::bigint';

/**
 * A hand-written statement for the hot path, with its parameters numbered for
 * the database at hand (`$1` on PostgreSQL, `?` on SQLite). The query builder
 * costs more than these statements do; entities and migrations stay TypeORM's.
 */
export class SqlStatement {
  readonly params: unknown[] = [];

  constructor(private readonly postgres: boolean) {}

  /** A placeholder for `value`, cast on PostgreSQL when the context cannot infer its type (a VALUES list). */
  p(value: unknown, pgType?: string): string {
    this.params.push(typeof value === 'boolean' && !this.postgres ? Number(value) : value);
    return this.postgres ? `$${this.params.length}${pgType ? `::${pgType}` : ''}` : '?';
  }
}

/** The SQL dialect of a store: which clock rules leases, and how a statement is numbered. */
export interface SqlDialect {
  postgres: boolean;
  /** Lease and due times on the database's clock (PostgreSQL's default) rather than the caller's. */
  databaseClock: boolean;
  /**
   * Epoch milliseconds of "now" for lease and due checks. PostgreSQL's own
   * clock, shared by every process; SQLite is embedded, so its clock is the
   * one process's (the value the caller passes).
   */
  now(sql: SqlStatement, processNow: number): string;
  statement(): SqlStatement;
}

export function dialectOf(dataSource: DataSource, clock: 'database' | 'caller' = 'database'): SqlDialect {
  const postgres = dataSource.options.type === 'postgres';
  const databaseClock = postgres && clock === 'database';
  return {
    postgres,
    databaseClock,
    now: (sql, processNow) => (databaseClock ? DATABASE_NOW : sql.p(processNow, 'bigint')),
    statement: () => new SqlStatement(postgres),
  };
}
