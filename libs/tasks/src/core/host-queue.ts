import type { RedisOptions } from 'ioredis';
import type { TaskQueue } from '../ports';

/**
 * What a feature module built on the host app's queue infrastructure gives
 * the core (under `HOST_QUEUE`): the queue port, and the Redis it connects
 * to, which Stepwise's events and upload locker then use unless `redisUrl`
 * names another.
 */
export interface HostQueue {
  queue: TaskQueue;
  redis: RedisOptions;
  /** How the feature is turned on, for error messages. */
  describe: string;
}
