import { Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { FEATURE_PACKAGES, loadFeature } from '../adapters/optional-packages';
import type { ResolvedOptions } from './resolved-options';
import type { RateLimit, RateLimitOptions } from './task-module-options';
import { RATE_LIMITER, RESOLVED_OPTIONS } from './tokens';

export type RateLimitClass = keyof RateLimitOptions;

/** What a request over its limit is told. */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the window ends (the `Retry-After`), when refused. */
  retryAfterSeconds: number;
  limit: RateLimit;
}

/**
 * Counts requests per route class and caller key on `@nestjs/throttler`'s
 * storage: its memory storage in one process, Redis (shared by every API
 * instance) when the module has `redisUrl`. A storage that fails lets the
 * request through (logged): a Redis outage must not take the API down.
 */
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('Stepwise');
  private warned = false;

  constructor(
    readonly limits: RateLimitOptions,
    private readonly storage: ThrottlerStorage,
    private readonly close: () => Promise<void> = async () => {},
  ) {}

  /** Null when the class is not limited. */
  async hit(kind: RateLimitClass, key: string): Promise<RateLimitVerdict | null> {
    const limit = this.limits[kind];
    if (!limit) return null;
    try {
      // The key names the class: the memory storage blocks a key whatever the throttler.
      const record = await this.storage.increment(`${kind}:${key}`, limit.ttlMs, limit.limit, limit.ttlMs, kind);
      return {
        allowed: !record.isBlocked,
        retryAfterSeconds: Math.max(1, record.timeToBlockExpire || record.timeToExpire),
        limit,
      };
    } catch (error) {
      if (!this.warned) {
        this.warned = true;
        this.logger.warn(`Rate limits are not enforced: their storage failed (${(error as Error).message})`);
      }
      return null;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/** The rate limiter of an API process, or null. */
export const rateLimiterProvider: Provider = {
  provide: RATE_LIMITER,
  inject: [RESOLVED_OPTIONS],
  useFactory: async (resolved: ResolvedOptions): Promise<RateLimiter | null> => {
    if (!resolved.rateLimit || resolved.role === 'worker') return null;
    const throttler = await loadFeature('rateLimit', FEATURE_PACKAGES.rateLimit, () => import('@nestjs/throttler'));
    if (resolved.redisUrl) {
      const { Redis } = await import('ioredis');
      const { redisOptionsFromUrl } = await import('../adapters/redis/redis-connection');
      const { RedisRateLimitStorage } = await import('../adapters/redis/redis-rate-limit-storage');
      // Fail fast while Redis is away rather than queue the request behind reconnects.
      const redis = new Redis({ ...redisOptionsFromUrl(resolved.redisUrl), maxRetriesPerRequest: 1 });
      redis.on('error', () => {});
      const storage = new RedisRateLimitStorage(redis);
      return new RateLimiter(resolved.rateLimit, storage, () => storage.close());
    }
    return new RateLimiter(resolved.rateLimit, new throttler.ThrottlerStorageService());
  },
};
