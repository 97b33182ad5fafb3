import type { Redis } from 'ioredis';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

// A fixed window per key: the first hit starts it (PEXPIRE), every hit counts; one round trip.
const HIT = `local hits = redis.call('incr', KEYS[1])
if hits == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then redis.call('pexpire', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return { hits, ttl }`;

/**
 * `@nestjs/throttler`'s storage on Redis, shared by every API instance: a
 * fixed window of `ttl` per key, counted by one script. A request over the
 * limit waits for the window's end (`timeToBlockExpire`, in seconds, as the
 * throttler's own memory storage answers).
 */
export class RedisRateLimitStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'stepwise:rate:',
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    _name: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hits, pttl] = (await this.redis.eval(HIT, 1, `${this.prefix}${key}`, String(ttl))) as [number, number];
    const seconds = Math.max(1, Math.ceil(pttl / 1000));
    const isBlocked = hits > limit;
    return { totalHits: hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
