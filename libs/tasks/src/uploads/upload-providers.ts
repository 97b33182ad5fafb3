import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { FEATURE_PACKAGES, loadFeature, requireFeature } from '../adapters/optional-packages';
import type { ResolvedOptions } from '../core/resolved-options';
import { TASK_MODULE_OPTIONS } from '../core/task-module.definition';
import type { TaskModuleOptions } from '../core/task-module-options';
import type { HostQueue } from '../core/host-queue';
import { CLOCK, HOST_QUEUE, OBJECT_STORAGE, RESOLVED_OPTIONS, UPLOAD_STORE } from '../core/tokens';
import { OwnerQuotas } from '../web/owner-quotas';
import type { Clock, ObjectStorage, UploadStore } from '../ports';
import { RedisUploadLocker } from '../adapters/redis/redis-upload-locker';
import { ResumableUploads, type TusUploadLayout } from './resumable-uploads';
import { RESUMABLE_UPLOADS, UPLOAD_REDIS } from './upload-tokens';

/** Runs the cleanup of expired uploads on the api side, and closes the locker's connections. */
@Injectable()
export class UploadJanitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Stepwise uploads');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Optional() @Inject(RESUMABLE_UPLOADS) private readonly uploads: ResumableUploads | null,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(UPLOAD_REDIS) private readonly connections: Redis[],
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.options.resumable?.cleanupIntervalMs;
    if (!this.uploads || !interval) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.uploads!.cleanUp()
        .then(({ incomplete, finished }) => {
          if (incomplete + finished > 0)
            this.logger.log(`deleted ${incomplete} abandoned, ${finished} expired upload(s)`);
        })
        .catch((error: unknown) => this.logger.warn(`upload cleanup failed: ${String(error)}`))
        .finally(() => (this.running = undefined));
    }, interval);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    for (const connection of this.connections) connection.disconnect();
  }
}

/** The tus endpoint (api role), its Redis locker and its cleanup. The registry of finished uploads is a port (core). */
export const uploadProviders: Provider[] = [
  {
    provide: UPLOAD_REDIS,
    inject: [RESOLVED_OPTIONS, { token: HOST_QUEUE, optional: true }],
    useFactory: async (resolved: ResolvedOptions, host: HostQueue | undefined): Promise<Redis[]> => {
      // On the Redis of redisUrl, else on that of the host's queues (its BullModule connection).
      if ((!resolved.redisUrl && !host) || !resolved.resumable || resolved.role === 'worker') return [];
      const [{ Redis }, { redisOptionsFromUrl }] = await loadFeature(
        resolved.redisUrl ? 'the upload locker (redisUrl)' : `the upload locker (${host!.describe})`,
        FEATURE_PACKAGES.redis,
        () => Promise.all([import('ioredis'), import('../adapters/redis/redis-connection')]),
      );
      const connection = resolved.redisUrl ? redisOptionsFromUrl(resolved.redisUrl) : host!.redis;
      return [0, 1].map(() => new Redis({ ...connection, lazyConnect: false }));
    },
  },
  {
    provide: RESUMABLE_UPLOADS,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS, OBJECT_STORAGE, UPLOAD_STORE, CLOCK, UPLOAD_REDIS, OwnerQuotas],
    useFactory: async (
      options: TaskModuleOptions,
      resolved: ResolvedOptions,
      storage: ObjectStorage,
      uploads: UploadStore,
      clock: Clock,
      redis: Redis[],
      quotas: OwnerQuotas,
    ): Promise<ResumableUploads | null> => {
      const settings = resolved.resumable;
      if (!settings || resolved.role === 'worker') return null;
      const logger = new Logger('Stepwise uploads');
      if (!storage.uploadLayout) {
        // The tus store must write where the storage port reads: only the storage adapter knows where.
        logger.warn(`resumable uploads are off: ${storage.constructor.name} has no uploadLayout()`);
        return null;
      }
      const [commands, subscriber] = redis;
      const locker =
        (typeof options.uploads?.resumable === 'object' ? options.uploads.resumable.locker : undefined) ??
        (commands && subscriber ? new RedisUploadLocker({ redis: commands, subscriber }) : undefined);
      requireFeature('resumable uploads (uploads.resumable)', FEATURE_PACKAGES.resumableUploads);
      return ResumableUploads.create({
        layout: (await storage.uploadLayout({ expireAfterMs: settings.expireAfterMs })) as TusUploadLayout,
        storage,
        uploads,
        clock,
        logger,
        locker,
        quotas,
        settings: {
          path: '/uploads',
          maxSize: resolved.uploads.maxFileSize,
          expireAfterMs: settings.expireAfterMs,
          retentionMs: settings.retentionMs,
          dedup: settings.dedup,
        },
      });
    },
  },
  UploadJanitor,
  OwnerQuotas,
];
