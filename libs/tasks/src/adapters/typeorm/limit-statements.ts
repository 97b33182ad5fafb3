import type { HeldBackReason, TypeLimits } from '../../model';
import type { ClaimRequest, HeldQuery } from '../../ports';
import { claimable } from './claim-statement';
import type { SqlDialect, SqlStatement } from './sql-statement';
import { built, TERMINAL_SQL, type Built } from './task-writes';

// The statements of a claim under a type's limits (see
// `TypeOrmTaskStore.claimWithinLimits`). They run in one short transaction:
// the task's type, then (PostgreSQL) the type's advisory lock, the counts, and
// the claim or the hold. The lock makes the counts and the write one step for
// every worker: in READ COMMITTED each statement sees what the claims before
// the lock committed, so two claimants never both pass a `max: 1`.

/** The task's type and owner, whether it is claimable by the request's rule, and whether a cancel is asked. */
export function limitedClaimTarget(d: SqlDialect, request: ClaimRequest): Built {
  const sql = d.statement();
  // Placeholders made in text order (SQLite's `?` are positional).
  const rule = claimable(d, sql, request);
  return built(
    sql,
    `SELECT type, owner, cancel_requested, CASE WHEN ${rule} THEN 1 ELSE 0 END AS claimable` +
      ` FROM stepwise_tasks WHERE id = ${sql.p(request.taskId)}`,
  );
}

/**
 * PostgreSQL's clock at this statement, not at the transaction's start
 * (`now()`): the window is counted after the lock was taken, and a claim is
 * recorded after it was made, so that every start really is `perMs` after
 * the one it follows in the window.
 */
const CLOCK_NOW = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

const clockNow = (d: SqlDialect, sql: SqlStatement, processNow: number) =>
  d.databaseClock ? CLOCK_NOW : sql.p(processNow, 'bigint');

/** PostgreSQL: the type's lock, held until the transaction ends. */
export function lockType(d: SqlDialect, type: string): Built {
  const sql = d.statement();
  return built(sql, `SELECT pg_advisory_xact_lock(hashtext(${sql.p(`stepwise.limits:${type}`, 'text')})) AS locked`);
}

/** PostgreSQL: the owner's lock under `fairness.perOwner`, held until the transaction ends (taken after the type's). */
export function lockOwner(d: SqlDialect, owner: string): Built {
  const sql = d.statement();
  return built(sql, `SELECT pg_advisory_xact_lock(hashtext(${sql.p(`stepwise.fairness:${owner}`, 'text')})) AS locked`);
}

/** Drops a rate-limited type's claims that left the window (`now - perMs`). */
export function pruneTypeClaims(d: SqlDialect, type: string, since: number): Built {
  const sql = d.statement();
  return built(
    sql,
    `DELETE FROM stepwise_type_claims WHERE type = ${sql.p(type)} AND claimed_at <= ${sql.p(since, 'bigint')}`,
  );
}

/**
 * What the limits count, at the clock's "now" (answered as `now`): the
 * type's leased tasks, the owner's, the window's claims, and with `ownerMax`
 * the owner's leased tasks of every type.
 */
export function limitCounts(
  d: SqlDialect,
  type: string,
  owner: string,
  limits: TypeLimits,
  processNow: number,
  ownerMax?: number,
): Built {
  const sql = d.statement();
  // Placeholders made in text order (SQLite's `?` are positional): each use builds its own.
  const live = `r.lease_owner IS NOT NULL AND r.lease_expires_at > n.now AND r.status NOT IN ${TERMINAL_SQL}`;
  const leased = () => `FROM stepwise_tasks r WHERE r.type = ${sql.p(type)} AND ${live}`;
  const window = (perMs: number) =>
    `FROM stepwise_type_claims c WHERE c.type = ${sql.p(type)} AND c.claimed_at > n.now - ${sql.p(perMs, 'bigint')}`;
  const running = limits.max !== undefined ? `(SELECT COUNT(*) ${leased()})` : '0';
  const ownerRunning =
    limits.perOwner !== undefined ? `(SELECT COUNT(*) ${leased()} AND r.owner = ${sql.p(owner)})` : '0';
  const recent = limits.rate ? `(SELECT COUNT(*) ${window(limits.rate.perMs)})` : '0';
  const oldest = limits.rate ? `(SELECT MIN(c.claimed_at) ${window(limits.rate.perMs)})` : 'NULL';
  const ownerAll =
    ownerMax !== undefined
      ? `(SELECT COUNT(*) FROM stepwise_tasks r WHERE r.owner = ${sql.p(owner)} AND ${live})`
      : '0';
  return built(
    sql,
    `SELECT ${running} AS running, ${ownerRunning} AS owner_running, ${recent} AS recent_claims,` +
      ` ${oldest} AS oldest_claim, ${ownerAll} AS owner_running_all, n.now AS now` +
      ` FROM (SELECT ${clockNow(d, sql, processNow)} AS now) n`,
  );
}

/** Records a claim of a rate-limited type, just made: at the clock's "now". */
export function recordTypeClaim(d: SqlDialect, type: string, processNow: number): Built {
  const sql = d.statement();
  return built(
    sql,
    `INSERT INTO stepwise_type_claims (type, claimed_at) VALUES (${sql.p(type)}, ${clockNow(d, sql, processNow)})`,
  );
}

/** Holds the task back if it is still claimable: pending as it was, due at `until`, the reason and (first) time recorded; a new version. */
export function holdTask(
  d: SqlDialect,
  request: ClaimRequest,
  reason: HeldBackReason,
  now: number,
  until: number,
): Built {
  const sql = d.statement();
  // Still claimable: a task another worker claimed meanwhile is not held.
  const update =
    `UPDATE stepwise_tasks SET held_reason = ${sql.p(reason)}, held_since = COALESCE(held_since, ${sql.p(now, 'bigint')}),` +
    ` run_at = ${sql.p(until, 'bigint')}, updated_at = ${sql.p(now, 'bigint')}, version = version + 1` +
    ` WHERE id = ${sql.p(request.taskId)} AND ${claimable(d, sql, request)}` +
    ' RETURNING id, queue, placement, priority, version, held_since';
  return built(sql, d.postgres ? `WITH h AS (${update}) SELECT * FROM h` : update);
}

/**
 * Makes the oldest held tasks of a type due now (by priority, then hold
 * time): those a type-wide limit held, and the owner's own (with
 * `acrossTypes`, of every type); one statement.
 */
export function wakeHeldTasks(d: SqlDialect, query: HeldQuery): Built {
  const sql = d.statement();
  const now = d.now(sql, query.now);
  const oldest =
    `SELECT id FROM stepwise_tasks WHERE held_reason IS NOT NULL` +
    ` AND status NOT IN ${TERMINAL_SQL} AND status <> 'paused'` +
    ` AND ((type = ${sql.p(query.type)} AND (held_reason <> 'owner-concurrency' OR owner = ${sql.p(query.owner)}))` +
    (query.acrossTypes ? ` OR (owner = ${sql.p(query.owner)} AND held_reason = 'owner-concurrency'))` : ')') +
    ` ORDER BY priority DESC, held_since, id LIMIT ${sql.p(query.limit, 'int')}`;
  const update =
    `UPDATE stepwise_tasks SET run_at = ${now}, version = version + 1 WHERE id IN (${oldest})` +
    ' RETURNING id, queue, placement, priority, version';
  return built(sql, d.postgres ? `WITH w AS (${update}) SELECT * FROM w` : update);
}
