import type { Claimed, Held, LimitedClaimRequest } from '../../ports';
import { heldUntil, limitReached, type LimitCounts } from '../../ports';
import { claimRow, claimTasks, startedStepEvent, startNextStep, stepsOf } from './claim-statement';
import {
  holdTask,
  limitCounts,
  limitedClaimTarget,
  lockOwner,
  lockType,
  pruneTypeClaims,
  recordTypeClaim,
} from './limit-statements';
import { claimed, fromRawTask } from './raw-rows';
import type { SqlDialect } from './sql-statement';
import type { Built } from './task-writes';

type Raw = Record<string, unknown>;

/**
 * The statements of a claim under limits (`plainTried`: the plain claim of
 * the types without limits ran just before), in order, each chosen from the rows
 * of the ones before: one plan for both databases, run synchronously in one
 * SQLite transaction and awaited in one PostgreSQL transaction.
 */
export type ClaimPlan = Generator<Built, Claimed | Held | null, Raw[]>;

export function* limitedClaim(d: SqlDialect, request: LimitedClaimRequest, plainTried: boolean): ClaimPlan {
  const [target] = yield limitedClaimTarget(d, request);
  if (!target || !Number(target.claimable)) return null;
  const type = String(target.type);
  // A type without limits had its plain claim, which lost: nothing more to try.
  if (plainTried && !(type in request.limits)) return null;
  // A cancel only winds the task down: no limit holds it.
  const cancel = Number(target.cancel_requested) === 1;
  const limits = cancel ? undefined : request.limits[type];
  const ownerMax = cancel ? undefined : request.ownerMax;
  if (limits || ownerMax !== undefined) {
    const own = limits ?? {};
    const owner = String(target.owner);
    // Always the type's lock before the owner's: two claims never wait on each other's.
    if (d.postgres && limits) yield lockType(d, type);
    if (d.postgres && ownerMax !== undefined) yield lockOwner(d, owner);
    const [row] = yield limitCounts(d, type, owner, own, request.now, ownerMax);
    const counts = toCounts(row);
    const now = Number(row.now);
    if (own.rate) yield pruneTypeClaims(d, type, now - own.rate.perMs);
    const reason = limitReached(own, counts, ownerMax);
    if (reason) {
      const until = heldUntil(reason, own, counts, now, request.holdMs);
      const [held] = yield holdTask(d, request, reason, now, until);
      if (!held) return null;
      const due = {
        id: String(held.id),
        queue: String(held.queue),
        placement: held.placement as Held['due']['placement'],
        priority: Number(held.priority),
        version: Number(held.version),
      };
      return { task: null, held: { reason, since: Number(held.held_since) }, retryAt: until, due };
    }
  }
  const won = d.postgres ? yield* claimOnPostgres(d, request) : yield* claimOnSqlite(d, request);
  if (won && limits?.rate) yield recordTypeClaim(d, type, request.now);
  return won;
}

function* claimOnPostgres(d: SqlDialect, request: LimitedClaimRequest): Generator<Built, Claimed | null, Raw[]> {
  const [row] = yield claimTasks(d, request, [request.taskId], true);
  if (!row) return null;
  const started = row.started_step as Raw | null;
  const steps = ((row.steps as Raw[] | null) ?? []).map((s) => (started && s.name === started.name ? started : s));
  return claimed(fromRawTask(row, steps), started, row.started_event as Raw | null);
}

function* claimOnSqlite(d: SqlDialect, request: LimitedClaimRequest): Generator<Built, Claimed | null, Raw[]> {
  const [row] = yield claimRow(d, request, true);
  if (!row) return null;
  let step: Raw | null = null;
  let event: Raw | null = null;
  if (Number(row.starts)) {
    [step] = yield startNextStep(d, request.taskId, request.now);
    [event] = yield startedStepEvent(d, request.taskId, String(step.name), request.now);
  }
  return claimed(fromRawTask(row, yield stepsOf(d, request.taskId)), step, event);
}

function toCounts(row: Raw | undefined): LimitCounts {
  const oldest = row?.oldest_claim;
  return {
    running: Number(row?.running ?? 0),
    ownerRunning: Number(row?.owner_running ?? 0),
    ownerRunningAllTypes: Number(row?.owner_running_all ?? 0),
    recentClaims: Number(row?.recent_claims ?? 0),
    oldestClaim: oldest === null || oldest === undefined ? null : Number(oldest),
  };
}

/** Runs a plan's statements synchronously (inside `sqliteTransaction`). */
export function runPlan<T>(plan: Generator<Built, T, Raw[]>, run: (statement: Built) => Raw[]): T {
  let step = plan.next();
  while (!step.done) step = plan.next(run(step.value));
  return step.value;
}

/** Runs a plan's statements one after the other (inside a PostgreSQL transaction). */
export async function runPlanAsync<T>(
  plan: Generator<Built, T, Raw[]>,
  run: (statement: Built) => Promise<Raw[]>,
): Promise<T> {
  let step = plan.next();
  while (!step.done) step = plan.next(await run(step.value));
  return step.value;
}
