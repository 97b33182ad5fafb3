import type { ErrorMatcher, RetryPolicy } from '../definition';
import { NonRetryableError } from './step-errors';

const DEFAULT_DELAY_MS = 1000;
const DEFAULT_MAX_DELAY_MS = 60_000;

/**
 * Delay before attempt `failedAttempt + 1`. `random` is injectable so tests
 * can pin the jitter.
 */
export function retryDelay(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const base = policy.delayMs ?? DEFAULT_DELAY_MS;
  const max = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const raw = policy.backoff === 'fixed' ? base : base * 2 ** (failedAttempt - 1);
  const capped = Math.min(raw, max);
  // "Equal jitter": keeps at least half the delay so backoff still grows.
  return policy.jitter === false ? capped : Math.round(capped / 2 + (random() * capped) / 2);
}

export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  if (error instanceof NonRetryableError) return false;
  return !(policy.nonRetryable ?? []).some((matcher) => matches(matcher, error));
}

function matches(matcher: ErrorMatcher, error: unknown): boolean {
  if (matcher.prototype instanceof Error || matcher === Error) {
    return error instanceof (matcher as abstract new (...args: never[]) => Error);
  }
  return (matcher as (e: unknown) => boolean)(error);
}
