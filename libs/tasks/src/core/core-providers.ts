import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { TaskRegistry } from '../definition';
import { EventHooks, TaskEngine, type EngineDeps } from '../engine';
import { OtelTaskTracer } from '../adapters/otel/otel-task-tracer';
import { TracedObjectStorage } from '../adapters/otel/traced-object-storage';
import type {
  ApiKeyStore,
  Clock,
  EventBus,
  ObjectStorage,
  ScheduleStore,
  TaskNotifier,
  TaskObserver,
  TaskQueue,
  TaskStore,
  UploadStore,
} from '../ports';
import type { HostQueue } from './host-queue';
import { NestTaskLogger } from './nest-task-logger';
import { AnonymousOwnerResolver, type OwnerResolver } from './owner-resolver';
import { TaskAuthorizer } from './auth/task-authorizer';
import { ApiKeyOwnerResolver } from './auth/api-key-owner-resolver';
import { JwtOwnerResolver } from './auth/jwt-owner-resolver';
import { ApiKeys } from './auth/api-keys';
import { resolveOptions, type ResolvedOptions } from './resolved-options';
import { TaskExplorer } from './task-explorer';
import { TaskLifecycle } from './task-lifecycle';
import { TaskSchedules } from './task-schedules';
import { TaskSubmitter } from './task-submitter';
import { TASK_MODULE_OPTIONS } from './task-module.definition';
import type { TaskModuleOptions } from './task-module-options';
import {
  API_KEY_STORE,
  CLOCK,
  EVENT_BUS,
  EVENT_HOOKS,
  HOST_QUEUE,
  OBJECT_STORAGE,
  OWNER_RESOLVER,
  RESOLVED_OPTIONS,
  SCHEDULE_STORE,
  TASK_NOTIFIER,
  TASK_OBSERVER,
  TASK_QUEUE,
  TASK_REGISTRY,
  TASK_STORE,
  UPLOAD_STORE,
  WEBHOOK_SETTINGS,
} from './tokens';
import { resolveWebhookSettings } from './webhook-settings';

/** The engine and what it runs on besides the ports: options, registry, owner resolver, hooks, explorer, lifecycle. */
export const resolvedOptionsProvider: Provider = {
  provide: RESOLVED_OPTIONS,
  inject: [TASK_MODULE_OPTIONS, { token: HOST_QUEUE, optional: true }],
  useFactory: (options: TaskModuleOptions, hostQueue: HostQueue | undefined) =>
    resolveOptions(options, { hostQueue: hostQueue !== undefined }),
};

/** Creates, lists, revokes and verifies API keys (the `apikey` scheme, and the apps' `npm run apikey`). */
export const apiKeysProvider: Provider = {
  provide: ApiKeys,
  inject: [API_KEY_STORE, CLOCK],
  useFactory: (store: ApiKeyStore, clock: Clock) => new ApiKeys(store, clock),
};

export const coreProviders: Provider[] = [
  resolvedOptionsProvider,
  { provide: TASK_REGISTRY, useFactory: () => new TaskRegistry() },
  apiKeysProvider,
  {
    provide: OWNER_RESOLVER,
    inject: [TASK_MODULE_OPTIONS, ApiKeys],
    useFactory: (options: TaskModuleOptions, keys: ApiKeys) => ownerResolverOf(options, keys),
  },
  {
    provide: TaskAuthorizer,
    inject: [TASK_MODULE_OPTIONS],
    useFactory: (options: TaskModuleOptions) => new TaskAuthorizer(options.authorize),
  },
  {
    provide: TaskEngine,
    inject: [
      RESOLVED_OPTIONS,
      TASK_REGISTRY,
      TASK_STORE,
      TASK_QUEUE,
      EVENT_BUS,
      OBJECT_STORAGE,
      CLOCK,
      { token: TASK_NOTIFIER, optional: true },
      { token: TASK_OBSERVER, optional: true },
      UPLOAD_STORE,
      EVENT_HOOKS,
      SCHEDULE_STORE,
    ],
    useFactory: (
      options: ResolvedOptions,
      registry: TaskRegistry,
      store: TaskStore,
      queue: TaskQueue,
      bus: EventBus,
      storage: ObjectStorage,
      clock: Clock,
      notifier: TaskNotifier | undefined,
      observer: TaskObserver | undefined,
      uploads: UploadStore,
      hooks: EventHooks,
      schedules: ScheduleStore,
    ) => {
      const deps: EngineDeps = {
        store,
        queue,
        bus,
        // What steps and the engine store are spans of their attempts (the API's no-op without an SDK).
        storage: new TracedObjectStorage(storage),
        clock,
        registry,
        notifier,
        observer,
        tracer: new OtelTaskTracer(),
        uploads,
        hooks,
        schedules,
        logger: new NestTaskLogger(),
        settings: options.engine,
        newId: () => randomUUID(),
      };
      return new TaskEngine(deps);
    },
  },
  { provide: EVENT_HOOKS, useFactory: () => new EventHooks() },
  {
    provide: WEBHOOK_SETTINGS,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS],
    useFactory: (options: TaskModuleOptions, resolved: ResolvedOptions) =>
      resolveWebhookSettings(options.webhooks, resolved.mode),
  },
  TaskExplorer,
  TaskLifecycle,
  TaskSubmitter,
  TaskSchedules,
];

/** The module's resolver: the host's own, the one of the `auth` scheme, or one anonymous owner. */
function ownerResolverOf(options: TaskModuleOptions, keys: ApiKeys): OwnerResolver {
  if (options.ownerResolver && options.auth) {
    throw new Error('Stepwise: give ownerResolver or auth, not both: each decides who the caller is');
  }
  if (options.ownerResolver) return options.ownerResolver;
  const auth = options.auth;
  switch (auth?.scheme) {
    case undefined:
      return new AnonymousOwnerResolver();
    case 'apikey':
      return new ApiKeyOwnerResolver(keys);
    case 'jwt':
      return new JwtOwnerResolver(auth);
    default:
      throw new Error(
        `Stepwise: auth.scheme must be "apikey" or "jwt" (got ${JSON.stringify((auth as { scheme?: unknown }).scheme)})`,
      );
  }
}
