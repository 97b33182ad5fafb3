/** A class of errors, or a predicate, that must not be retried. */
export type ErrorMatcher = (abstract new (...args: never[]) => Error) | ((error: unknown) => boolean);

/** How a step is retried when it throws. */
export interface RetryPolicy {
  /** Total attempts, first one included. Default 1 (no retry). */
  attempts: number;
  /** Default `exponential`. */
  backoff?: 'fixed' | 'exponential';
  /** Base delay. Default 1000 ms. */
  delayMs?: number;
  /** Cap on any single delay. Default 60 000 ms. */
  maxDelayMs?: number;
  /**
   * Randomises each delay to avoid thundering herds: `true` (default) keeps
   * between 50% and 100% of the computed delay, `false` keeps it exact.
   */
  jitter?: boolean;
  /** Errors that fail the step at once. `NonRetryableError` always does. */
  nonRetryable?: ErrorMatcher[];
}

export const NO_RETRY: RetryPolicy = { attempts: 1 };
