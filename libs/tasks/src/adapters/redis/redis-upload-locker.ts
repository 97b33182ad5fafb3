import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RequestRelease, UploadLock, UploadLocker } from '../../ports/upload-locker';

/** tus's own `ERRORS.ERR_LOCK_TIMEOUT`, spelled here: importing `@tus/utils` (ES modules) must not be needed to load this file. */
const LOCK_TIMEOUT = { status_code: 500, body: 'failed to acquire lock before timeout' };

const RETRY_MS = 50;
// Deletes (or extends) the lock only while it is still ours.
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;

export interface RedisUploadLockerOptions {
  /** Commands (SET NX, scripts, PUBLISH). */
  redis: Redis;
  /** A second connection, in subscriber mode: release requests. */
  subscriber: Redis;
  /** A lock whose holder stops renewing it (process died) frees itself after this. Default 30 s. */
  ttlMs?: number;
  prefix?: string;
}

/**
 * tus locker shared by every API instance, on Redis. tus locks an upload for
 * each request that touches it; a client that resumes on another instance
 * (the old request still hanging) asks the holder to let go, as the in-memory
 * locker does within one process: here through a pub/sub channel. Required as
 * soon as two API instances serve `/uploads/`.
 */
export class RedisUploadLocker implements UploadLocker {
  private readonly releasers = new Map<string, RequestRelease>();
  private subscribed = false;

  constructor(private readonly options: RedisUploadLockerOptions) {}

  newLock(id: string): UploadLock {
    return new RedisUploadLock(this, id);
  }

  key(id: string): string {
    return `${this.options.prefix ?? 'stepwise:tus-lock:'}${id}`;
  }

  get redis(): Redis {
    return this.options.redis;
  }

  get ttlMs(): number {
    return this.options.ttlMs ?? 30_000;
  }

  /** Asks whoever holds the lock of `id` (any instance) to release it. */
  async requestRelease(id: string): Promise<void> {
    await this.redis.publish(this.channel(), id);
  }

  async listen(id: string, release: RequestRelease): Promise<void> {
    this.releasers.set(id, release);
    if (this.subscribed) return;
    this.subscribed = true;
    this.options.subscriber.on('message', (_channel: string, lockedId: string) => {
      void this.releasers.get(lockedId)?.();
    });
    await this.options.subscriber.subscribe(this.channel());
  }

  forget(id: string): void {
    this.releasers.delete(id);
  }

  private channel(): string {
    return `${this.options.prefix ?? 'stepwise:tus-lock:'}release`;
  }
}

class RedisUploadLock implements UploadLock {
  private token: string | undefined;
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly locker: RedisUploadLocker,
    private readonly id: string,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { redis, ttlMs } = this.locker;
    const key = this.locker.key(this.id);
    const token = randomUUID();
    let asked = false;
    while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
      if (signal.aborted) throw LOCK_TIMEOUT;
      if (!asked) {
        asked = true;
        await this.locker.requestRelease(this.id);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    this.token = token;
    await this.locker.listen(this.id, requestRelease);
    this.renewal = setInterval(
      () => {
        void redis.eval(EXTEND, 1, key, token, String(ttlMs)).catch(() => undefined);
      },
      Math.floor(ttlMs / 3),
    );
    this.renewal.unref();
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    this.locker.forget(this.id);
    if (!this.token) return;
    await this.locker.redis.eval(UNLOCK, 1, this.locker.key(this.id), this.token);
    this.token = undefined;
  }
}
