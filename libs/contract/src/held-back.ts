/**
 * Why a due `pending` task was not started: a cluster-wide limit of its type.
 * `concurrency`: its type runs `concurrency.max` tasks already;
 * `owner-concurrency`: its owner runs `concurrency.perOwner` of them (or the
 * module's `fairness.perOwner`); `rate-limit`: its type started
 * `rateLimit.max` runs in the last `rateLimit.perMs`.
 */
export const HELD_BACK_REASONS = ['concurrency', 'owner-concurrency', 'rate-limit'] as const;

export type HeldBackReason = (typeof HELD_BACK_REASONS)[number];
