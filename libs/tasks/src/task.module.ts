import { Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, StepwiseHealthIndicator } from './health';
import { randomUUID } from 'node:crypto';
import { TaskRegistry } from './definition';
import { EventHooks, TaskEngine, type EngineDeps } from './engine';
import type { Clock, EventBus, ObjectStorage, TaskNotifier, TaskQueue, TaskStore, UploadStore } from './ports';
import { UPLOAD_STORE, UploadsController, uploadProviders } from './uploads';
import { HTTP_CONTROLLERS, HTTP_PROVIDERS } from './http';
import { REALTIME_CONTROLLERS, REALTIME_PROVIDERS } from './realtime';
import { DASHBOARD_CONTROLLERS } from './dashboard';
import { AnonymousOwnerResolver } from './core/owner-resolver';
import { portProviders } from './core/port-providers';
import { webhookControllers, webhookProviders } from './webhooks/webhook-providers';
import { resolveOptions, type ResolvedOptions } from './core/resolved-options';
import { TaskExplorer } from './core/task-explorer';
import { TaskLifecycle } from './core/task-lifecycle';
import {
  ConfigurableTaskModule,
  TASK_MODULE_OPTIONS,
  type TASK_MODULE_OPTIONS_TYPE,
} from './core/task-module.definition';
import type { TaskModuleOptions } from './core/task-module-options';
import {
  CLOCK,
  EVENT_HOOKS,
  EVENT_BUS,
  OBJECT_STORAGE,
  OWNER_RESOLVER,
  RESOLVED_OPTIONS,
  TASK_QUEUE,
  TASK_REGISTRY,
  TASK_NOTIFIER,
  TASK_STORE,
} from './core/tokens';

const coreProviders: Provider[] = [
  {
    provide: RESOLVED_OPTIONS,
    inject: [TASK_MODULE_OPTIONS],
    useFactory: (options: TaskModuleOptions) => resolveOptions(options),
  },
  { provide: TASK_REGISTRY, useFactory: () => new TaskRegistry() },
  {
    provide: OWNER_RESOLVER,
    inject: [TASK_MODULE_OPTIONS],
    useFactory: (options: TaskModuleOptions) => options.ownerResolver ?? new AnonymousOwnerResolver(),
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
      UPLOAD_STORE,
      EVENT_HOOKS,
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
      uploads: UploadStore,
      hooks: EventHooks,
    ) => {
      const deps: EngineDeps = {
        store,
        queue,
        bus,
        storage,
        clock,
        registry,
        notifier,
        uploads,
        hooks,
        logger: new Logger('Stepwise'),
        settings: options.engine,
        newId: () => randomUUID(),
      };
      return new TaskEngine(deps);
    },
  },
  { provide: EVENT_HOOKS, useFactory: () => new EventHooks() },
  TaskExplorer,
  TaskLifecycle,
];

/**
 * Stepwise for Nest: `TaskModule.forRoot({ mode: 'embedded' })` or
 * `TaskModule.forRootAsync({ inject, useFactory })`. Registers the REST
 * controllers, discovers `@Task()` providers and runs them.
 */
@Module({
  imports: [DiscoveryModule, TerminusModule.forRoot({ logger: false })],
  controllers: [
    ...HTTP_CONTROLLERS,
    ...REALTIME_CONTROLLERS,
    HealthController,
    ...webhookControllers,
    UploadsController,
    ...DASHBOARD_CONTROLLERS,
  ],
  providers: [
    ...coreProviders,
    ...portProviders,
    ...HTTP_PROVIDERS,
    ...REALTIME_PROVIDERS,
    StepwiseHealthIndicator,
    ...webhookProviders,
    ...uploadProviders,
  ],
  exports: [
    TaskEngine,
    TASK_STORE,
    TASK_QUEUE,
    EVENT_BUS,
    OBJECT_STORAGE,
    OWNER_RESOLVER,
    RESOLVED_OPTIONS,
    UPLOAD_STORE,
  ],
})
export class TaskModule extends ConfigurableTaskModule {
  /** Without options: embedded mode, zero configuration (SQLite and files under `./.data`). */
  static override forRoot(options: typeof TASK_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
