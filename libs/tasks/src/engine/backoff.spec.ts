import type { RetryPolicy } from '../definition';
import { isRetryable, retryDelay } from './backoff';
import { NonRetryableError } from './step-errors';

const exact = (policy: Omit<RetryPolicy, 'attempts' | 'jitter'>): RetryPolicy => ({
  attempts: 10,
  jitter: false,
  ...policy,
});

describe('retryDelay', () => {
  it('fixed backoff keeps the same delay for every attempt', () => {
    const policy = exact({ backoff: 'fixed', delayMs: 250 });
    expect([1, 2, 3, 6].map((n) => retryDelay(policy, n))).toEqual([250, 250, 250, 250]);
  });

  it('exponential backoff doubles from delayMs', () => {
    const policy = exact({ backoff: 'exponential', delayMs: 100 });
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(policy, n))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('defaults to exponential from 1000 ms', () => {
    const policy: RetryPolicy = { attempts: 5, jitter: false };
    expect([1, 2, 3].map((n) => retryDelay(policy, n))).toEqual([1000, 2000, 4000]);
  });

  it('caps every delay at maxDelayMs (default 60 s)', () => {
    const capped = exact({ backoff: 'exponential', delayMs: 100, maxDelayMs: 500 });
    expect([1, 2, 3, 4, 10].map((n) => retryDelay(capped, n))).toEqual([100, 200, 400, 500, 500]);
    expect(retryDelay(exact({ backoff: 'fixed', delayMs: 10_000, maxDelayMs: 3000 }), 1)).toBe(3000);
    expect(retryDelay(exact({ delayMs: 1000 }), 20)).toBe(60_000);
  });

  it('jitter keeps between half and all of the delay', () => {
    const policy: RetryPolicy = { attempts: 5, backoff: 'exponential', delayMs: 1000 };
    expect(retryDelay(policy, 1, () => 0)).toBe(500);
    expect(retryDelay(policy, 1, () => 1)).toBe(1000);
    expect(retryDelay(policy, 3, () => 0)).toBe(2000);
    expect(retryDelay(policy, 3, () => 1)).toBe(4000);
    expect(retryDelay(policy, 1, () => 0.5)).toBe(750);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelay(policy, 2);
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(2000);
    }
  });

  it('jitter applies after the cap', () => {
    const policy: RetryPolicy = { attempts: 5, delayMs: 1000, maxDelayMs: 1500 };
    expect(retryDelay(policy, 4, () => 0)).toBe(750);
    expect(retryDelay(policy, 4, () => 1)).toBe(1500);
  });

  it('jitter: false is exact and ignores random', () => {
    const random = jest.fn(() => 0);
    expect(retryDelay(exact({ backoff: 'exponential', delayMs: 300 }), 2, random)).toBe(600);
    expect(random).not.toHaveBeenCalled();
  });
});

describe('isRetryable', () => {
  class QuotaError extends Error {}
  class HardQuotaError extends QuotaError {}
  class OtherError extends Error {}

  it('retries ordinary errors and non-Error throws', () => {
    const policy: RetryPolicy = { attempts: 3 };
    expect(isRetryable(policy, new Error('boom'))).toBe(true);
    expect(isRetryable(policy, 'a string')).toBe(true);
    expect(isRetryable(policy, undefined)).toBe(true);
  });

  it('never retries NonRetryableError, whatever the policy', () => {
    expect(isRetryable({ attempts: 5 }, new NonRetryableError('no'))).toBe(false);
    expect(isRetryable({ attempts: 5, nonRetryable: [] }, new NonRetryableError('no'))).toBe(false);
  });

  it('matches error classes, including subclasses', () => {
    const policy: RetryPolicy = { attempts: 5, nonRetryable: [QuotaError] };
    expect(isRetryable(policy, new QuotaError('q'))).toBe(false);
    expect(isRetryable(policy, new HardQuotaError('hq'))).toBe(false);
    expect(isRetryable(policy, new OtherError('o'))).toBe(true);
    expect(isRetryable(policy, new Error('plain'))).toBe(true);
  });

  it('Error itself as a matcher stops every Error', () => {
    const policy: RetryPolicy = { attempts: 5, nonRetryable: [Error] };
    expect(isRetryable(policy, new OtherError('o'))).toBe(false);
    expect(isRetryable(policy, 'not an error')).toBe(true);
  });

  it('matches predicates, without calling them as constructors', () => {
    const predicate = jest.fn((error: unknown) => (error as { status?: number })?.status === 400);
    const policy: RetryPolicy = { attempts: 5, nonRetryable: [predicate] };
    expect(isRetryable(policy, Object.assign(new Error('bad request'), { status: 400 }))).toBe(false);
    expect(isRetryable(policy, Object.assign(new Error('unavailable'), { status: 503 }))).toBe(true);
    expect(predicate).toHaveBeenCalledTimes(2);
  });

  it('any matching entry of a list stops the retry', () => {
    const policy: RetryPolicy = { attempts: 5, nonRetryable: [OtherError, (e) => e === 'fatal'] };
    expect(isRetryable(policy, 'fatal')).toBe(false);
    expect(isRetryable(policy, new OtherError('x'))).toBe(false);
    expect(isRetryable(policy, new QuotaError('x'))).toBe(true);
  });
});
