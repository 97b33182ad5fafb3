/**
 * `@stepwise/tasks/redis`: what runs on Redis, for apps that compose their
 * own (needs `ioredis`). The module builds these itself from `redisUrl`.
 */
export { RedisEventBus, redisOptionsFromUrl } from './adapters/redis';
export { RedisUploadLocker, type RedisUploadLockerOptions } from './adapters/redis/redis-upload-locker';
