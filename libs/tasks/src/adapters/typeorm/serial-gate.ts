import type { DataSource } from 'typeorm';

/** Runs one store operation at a time, or all at once. */
export type Gate = <T>(operation: () => Promise<T>) => Promise<T>;

const sqliteGates = new WeakMap<DataSource, Gate>();

/**
 * TypeORM's SQLite drivers share ONE connection and one query runner between
 * every caller, so two async operations interleave their statements: a write
 * issued while another operation's transaction is open joins that transaction
 * (and vanishes if it rolls back), and a second BEGIN becomes a savepoint.
 * better-sqlite3 runs statements synchronously anyway, so queueing whole
 * operations costs nothing in parallelism. PostgreSQL gives every transaction
 * its own pooled connection: no gate there.
 */
export function gateFor(dataSource: DataSource): Gate {
  if (dataSource.options.type !== 'better-sqlite3') return (op) => op();
  let gate = sqliteGates.get(dataSource);
  if (!gate) {
    gate = serialGate();
    sqliteGates.set(dataSource, gate);
  }
  return gate;
}

function serialGate(): Gate {
  let tail: Promise<unknown> = Promise.resolve();
  return (operation) => {
    const result = tail.then(operation);
    tail = result.catch(() => undefined);
    return result;
  };
}
