import { join } from 'node:path';
import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { FilesystemStorage } from '../adapters/filesystem';
import {
  MemoryApiKeyStore,
  MemoryEventBus,
  MemoryScheduleStore,
  MemoryTaskQueue,
  MemoryUploadStore,
  SystemClock,
} from '../adapters/memory';
import type {
  ApiKeyStore,
  Clock,
  EventBus,
  ObjectStorage,
  ScheduleStore,
  TaskQueue,
  TaskStore,
  UploadStore,
} from '../ports';
import { FEATURE_PACKAGES, loadFeature, requireFeature } from '../adapters/optional-packages';
import type { HostQueue } from './host-queue';
import type { ResolvedOptions } from './resolved-options';
import { TASK_MODULE_OPTIONS } from './task-module.definition';
import type { TaskModuleOptions } from './task-module-options';
import {
  API_KEY_STORE,
  CLOCK,
  EVENT_BUS,
  HOST_QUEUE,
  OBJECT_STORAGE,
  RESOLVED_OPTIONS,
  SCHEDULE_STORE,
  STEPWISE_DATA_SOURCE,
  TASK_QUEUE,
  TASK_STORE,
  UPLOAD_STORE,
} from './tokens';

export const clockProvider: Provider = {
  provide: CLOCK,
  inject: [TASK_MODULE_OPTIONS],
  useFactory: (options: TaskModuleOptions): Clock => options.clock ?? new SystemClock(),
};

/** Stepwise's own DataSource (migrated), the host's (checked), or null when the task store is an override. */
export const dataSourceProvider: Provider = {
  provide: STEPWISE_DATA_SOURCE,
  inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS],
  useFactory: async (options: TaskModuleOptions, resolved: ResolvedOptions): Promise<DataSource | null> => {
    if (options.store) return null;
    if (options.dataSource) {
      const { checkHostDataSource } = await import('../adapters/typeorm/data-source');
      const dataSource = await checkHostDataSource(options.dataSource);
      if (resolved.mode === 'distributed' && dataSource.options.type !== 'postgres') {
        throw new Error('Stepwise: distributed mode needs a PostgreSQL DataSource: processes share the database');
      }
      return dataSource;
    }
    const { initializeStepwiseDataSource } = await import('../adapters/typeorm');
    if (resolved.databaseUrl) requireFeature('PostgreSQL (databaseUrl)', FEATURE_PACKAGES.postgres);
    return initializeStepwiseDataSource({
      url: resolved.databaseUrl,
      sqlitePath: join(resolved.dataDir, 'stepwise.sqlite'),
    });
  },
};

/** The API keys: the override of `auth.store`, else Stepwise's database, else memory. */
export const apiKeyStoreProvider: Provider = {
  provide: API_KEY_STORE,
  inject: [TASK_MODULE_OPTIONS, STEPWISE_DATA_SOURCE],
  useFactory: async (options: TaskModuleOptions, dataSource: DataSource | null): Promise<ApiKeyStore> => {
    if (options.auth?.scheme === 'apikey' && options.auth.store) return options.auth.store;
    return dataSource
      ? new (await import('../adapters/typeorm/typeorm-api-key-store')).TypeOrmApiKeyStore(dataSource)
      : new MemoryApiKeyStore();
  },
};

/**
 * One provider per port: the user's override when given, else the adapter the
 * options call for (storage: S3 when `s3.bucket` is set, in either mode; the
 * filesystem under `dataDir` otherwise). The adapters of PostgreSQL/SQLite,
 * BullMQ, Redis and S3 are loaded here, when the options call for them, not
 * when the library is imported.
 */
export const portProviders: Provider[] = [
  clockProvider,
  dataSourceProvider,
  apiKeyStoreProvider,
  {
    provide: TASK_STORE,
    inject: [TASK_MODULE_OPTIONS, STEPWISE_DATA_SOURCE],
    useFactory: async (options: TaskModuleOptions, dataSource: DataSource | null): Promise<TaskStore> =>
      options.store ?? new (await import('../adapters/typeorm')).TypeOrmTaskStore(dataSource!),
  },
  {
    provide: TASK_QUEUE,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS, CLOCK, { token: HOST_QUEUE, optional: true }],
    useFactory: async (
      options: TaskModuleOptions,
      resolved: ResolvedOptions,
      clock: Clock,
      host: HostQueue | undefined,
    ): Promise<TaskQueue> => {
      if (options.queue && host) {
        // Either would leave the other's workers idle: say so rather than pick one.
        throw new Error(`Stepwise: the queue option and ${host.describe} both give the queue: keep one`);
      }
      if (options.queue) return options.queue;
      // The host's queues win over redisUrl, which then serves events and uploads only.
      if (host) return host.queue;
      if (resolved.redisUrl) {
        const { BullMqTaskQueue } = await loadFeature(
          'the BullMQ queue (redisUrl)',
          FEATURE_PACKAGES.bullmq,
          () => import('../adapters/bullmq'),
        );
        return new BullMqTaskQueue({ connection: { url: resolved.redisUrl } });
      }
      return new MemoryTaskQueue(clock);
    },
  },
  {
    provide: EVENT_BUS,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS, { token: HOST_QUEUE, optional: true }],
    useFactory: async (
      options: TaskModuleOptions,
      resolved: ResolvedOptions,
      host: HostQueue | undefined,
    ): Promise<EventBus> => {
      if (options.eventBus) return options.eventBus;
      // With Redis, events cross processes: a worker's progress reaches every API instance.
      // Every process takes only the events its listeners ask for while they listen: a worker
      // its cancels, an API instance all of them while a socket, an SSE stream or a handle
      // follows tasks (an instance nobody watches receives and parses none). Without
      // redisUrl, the Redis of the host's queues (its BullModule connection) carries them.
      if (resolved.redisUrl || host) {
        const { RedisEventBus, redisOptionsFromUrl } = await loadFeature(
          resolved.redisUrl ? 'the Redis event bus (redisUrl)' : `the Redis event bus (${host!.describe})`,
          FEATURE_PACKAGES.redis,
          () => import('../adapters/redis'),
        );
        const connection = resolved.redisUrl ? redisOptionsFromUrl(resolved.redisUrl) : host!.redis;
        return new RedisEventBus(connection, undefined, { allEvents: false });
      }
      return new MemoryEventBus();
    },
  },
  {
    provide: OBJECT_STORAGE,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS],
    useFactory: async (options: TaskModuleOptions, resolved: ResolvedOptions): Promise<ObjectStorage> => {
      if (options.storage) return options.storage;
      if (resolved.s3) {
        const { S3Storage } = await loadFeature(
          'S3 storage (s3.bucket)',
          FEATURE_PACKAGES.s3,
          () => import('../adapters/s3'),
        );
        return new S3Storage(resolved.s3);
      }
      return new FilesystemStorage(join(resolved.dataDir, 'objects'));
    },
  },
  {
    // Every role: steps read uploads through it.
    provide: UPLOAD_STORE,
    inject: [STEPWISE_DATA_SOURCE],
    useFactory: async (dataSource: DataSource | null): Promise<UploadStore> =>
      dataSource
        ? new (await import('../adapters/typeorm/typeorm-upload-store')).TypeOrmUploadStore(dataSource)
        : new MemoryUploadStore(),
  },
  {
    // Beside the tasks: a slot's task and its schedule live in one database.
    provide: SCHEDULE_STORE,
    inject: [TASK_MODULE_OPTIONS, STEPWISE_DATA_SOURCE],
    useFactory: async (options: TaskModuleOptions, dataSource: DataSource | null): Promise<ScheduleStore> => {
      if (options.scheduleStore) return options.scheduleStore;
      return dataSource
        ? new (await import('../adapters/typeorm/typeorm-schedule-store')).TypeOrmScheduleStore(dataSource)
        : new MemoryScheduleStore();
    },
  },
];
