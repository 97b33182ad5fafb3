import type { ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { redisOptionsFromUrl } from '../redis/redis-connection';

/**
 * ioredis options for a connection of Stepwise's own (the event bus, the
 * upload locker) to the Redis a BullMQ connection setting points at: its
 * options, its `url`, or the options of the client it is. Those connections
 * subscribe or block, so they cannot share the client itself.
 */
export function redisOptionsOf(connection: ConnectionOptions | undefined): RedisOptions {
  if (!connection) return {};
  const value = connection as Record<string, unknown>;
  if (value.isCluster === true || value.constructor?.name === 'Cluster') {
    throw new Error('Stepwise: events on a Redis Cluster are not supported: give redisUrl for them');
  }
  // An ioredis client (or BullMQ's wrapper of one) keeps the options it was made with.
  if (typeof value.duplicate === 'function') {
    const options = value.options as RedisOptions | undefined;
    if (!options)
      throw new Error('Stepwise: BullModule connection is a Redis client whose options cannot be read: give redisUrl');
    return withoutClientState(options);
  }
  const { url, ...rest } = value as RedisOptions & { url?: string };
  return url ? { ...redisOptionsFromUrl(url), ...rest } : { ...rest };
}

/** Options an ioredis client adds for itself, which a new client must not copy. */
function withoutClientState(options: RedisOptions): RedisOptions {
  const { lazyConnect: _lazy, ...rest } = options;
  return rest;
}
