import type { HeldBackReason, TypeLimits } from '../model';

/** What a store counted, under its per-type lock, to check a claim against its type's limits. */
export interface LimitCounts {
  /** Tasks of the type holding a live lease. */
  running: number;
  /** Of those, the claimed task's owner's. */
  ownerRunning: number;
  /** The owner's tasks of every type holding a live lease (counted only under `fairness.perOwner`, else 0). */
  ownerRunningAllTypes: number;
  /** Claims of the type in the rate window (the last `rate.perMs`). */
  recentClaims: number;
  /** The oldest of those claims' time, null when none. */
  oldestClaim: number | null;
}

/** How far a concurrency hold pushes a task's due time by default: a slot freeing wakes it sooner. */
export const DEFAULT_HOLD_MS = 30_000;

/**
 * The limit a claim would exceed, in the order they are checked; null when
 * the claim may go ahead. `ownerMax` is the module's `fairness.perOwner`: the
 * owner's running tasks of every type.
 */
export function limitReached(limits: TypeLimits, counts: LimitCounts, ownerMax?: number): HeldBackReason | null {
  if (limits.max !== undefined && counts.running >= limits.max) return 'concurrency';
  if (limits.perOwner !== undefined && counts.ownerRunning >= limits.perOwner) return 'owner-concurrency';
  if (ownerMax !== undefined && counts.ownerRunningAllTypes >= ownerMax) return 'owner-concurrency';
  if (limits.rate && counts.recentClaims >= limits.rate.max) return 'rate-limit';
  return null;
}

/** When a held task is due again: when the window's oldest claim leaves it (rate), else after `holdMs`. */
export function heldUntil(
  reason: HeldBackReason,
  limits: TypeLimits,
  counts: LimitCounts,
  now: number,
  holdMs = DEFAULT_HOLD_MS,
): number {
  if (reason === 'rate-limit' && limits.rate && counts.oldestClaim !== null) {
    return Math.max(now + 1, counts.oldestClaim + limits.rate.perMs);
  }
  return now + holdMs;
}
