import type { HeldBackReason } from '@stepwise/contract';

export { HELD_BACK_REASONS, type HeldBackReason } from '@stepwise/contract';

/** A due pending task a cluster-wide limit of its type did not let start: why, and since when (epoch ms). */
export interface HeldBack {
  reason: HeldBackReason;
  since: number;
}

/**
 * Cluster-wide limits of one task type, checked by the store at claim (in the
 * database, so that every worker agrees). Each is optional.
 */
export interface TypeLimits {
  /** At most this many tasks of the type hold a live lease at once. */
  max?: number;
  /** At most this many tasks of the type hold a live lease at once per owner. */
  perOwner?: number;
  /** At most `max` claims of the type in any window of `perMs` (sliding). */
  rate?: { max: number; perMs: number };
}
