import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { TaskCoreModule } from './core/task-core.module';
import { taskLanes, uniqueLanes, type TaskLane } from './definition/task-lanes';
import {
  type TASK_MODULE_ASYNC_OPTIONS_TYPE,
  type TASK_MODULE_OPTIONS_TYPE,
  type MetricsOptions,
  type TaskModuleExtras,
  normalizeRoutePrefix,
} from './core/task-module.definition';
import { FEATURE_PACKAGES, loadFeature, requireFeature } from './adapters/optional-packages';

type Feature = () => Promise<Type>;

// Each feature is loaded when the module is defined, not when the library is imported: an app
// that never defines TaskModule (a script, a test of a task) loads neither Swagger nor Socket.IO.
const REST: Feature[] = [
  () => import('./http/tasks-http.module').then((m) => m.TasksHttpModule),
  () => import('./realtime/task-events.module').then((m) => m.TaskEventsModule),
  () => import('./webhooks/webhooks.module').then((m) => m.WebhooksModule),
  () => import('./schedules/schedules.module').then((m) => m.SchedulesHttpModule),
];
const UPLOADS: Feature = () => import('./uploads/uploads.module').then((m) => m.UploadsModule);
const DASHBOARD = (routePrefix: string) =>
  import('./dashboard/dashboard.module').then((m) => m.DashboardModule.register(routePrefix));
const HEALTH = () => import('./health/task-health.module').then((m) => m.TaskHealthModule.withRoutes());
const METRICS = (options: MetricsOptions) => {
  requireFeature('metrics', FEATURE_PACKAGES.metrics);
  return import('./metrics/metrics.module').then((m) => m.MetricsModule.register(options));
};
// Loaded when a forFeature module asks for it: the library's import loads neither BullMQ nor @nestjs/bullmq.
const BULLMQ_LANES = async (lanes: TaskLane[]): Promise<DynamicModule> => {
  const { bullMqLanes } = await loadFeature(
    'TaskModule.forFeature(tasks, { bullmq: true })',
    FEATURE_PACKAGES.nestBullmq,
    () => import('./queues/task-queues.module'),
  );
  return bullMqLanes(lanes);
};

/** Options of {@link TaskModule.forFeature}. */
export interface TaskFeatureOptions {
  /**
   * Run these tasks' queues on the app's own `@nestjs/bullmq`: each lane
   * (the task's queue and a placement of its steps, named
   * `<queue>.<placement>`, e.g. `reports.worker`) is registered with
   * `BullModule.registerQueue` (so `@InjectQueue('reports.worker')` and
   * bull-board see it) and consumed by a `WorkerHost` processor Stepwise
   * declares, on the connection of the app's `BullModule.forRoot()`, which
   * Stepwise's events and upload locker share unless `redisUrl` is given.
   * Then distributed mode needs no `redisUrl`. Every task of the app must
   * be in such a call (boot says which is not). Needs `@nestjs/bullmq`,
   * `bullmq` and `ioredis`.
   */
  bullmq?: boolean;
  /** Modules whose providers the tasks inject (global modules need not be listed). */
  imports?: ModuleMetadata['imports'];
}

/**
 * Stepwise for Nest: `TaskModule.forRoot()` (embedded mode, zero
 * configuration), `TaskModule.forRoot({ ...options })` or
 * `TaskModule.forRootAsync({ inject, useFactory })`. Discovers the app's
 * `@Task()` providers (or those `TaskModule.forFeature([...])` registers)
 * and runs them, and serves the REST API, live events (Socket.IO and SSE),
 * webhooks, cron schedules, resumable uploads and the dashboard.
 *
 * Beside the options, in both forms: `health: true` mounts `/health`;
 * `routePrefix: '/api'` serves the REST routes under `/api/tasks`;
 * `isGlobal: false` keeps the engine and ports to the importing module.
 */
@Module({})
export class TaskModule {
  static forRoot(options: typeof TASK_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    return compose(TaskCoreModule.forRoot(options), options);
  }

  static forRootAsync(options: typeof TASK_MODULE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return compose(TaskCoreModule.forRootAsync(options), options);
  }

  /**
   * Registers `@Task()` classes as providers of their own module (so the
   * app's modules need not list them), beside `forRoot()` in the app. With
   * `bullmq: true`, their queues run on the app's `@nestjs/bullmq` (see
   * {@link TaskFeatureOptions.bullmq}). A task's dependencies must be global
   * or exported by `imports`. Throws for a class without `@Task()`.
   */
  static forFeature(tasks: Type[], options: TaskFeatureOptions = {}): DynamicModule {
    // Read now, from the decorators: the queues are registered when the module is defined.
    const lanes = uniqueLanes(tasks.flatMap((task) => taskLanes(task)));
    const imports = [...(options.imports ?? [])];
    if (options.bullmq) imports.push(BULLMQ_LANES(lanes));
    return { module: TaskModule, imports, providers: tasks, exports: tasks };
  }
}

function compose(core: DynamicModule, extras: Partial<TaskModuleExtras>): DynamicModule {
  const prefix = normalizeRoutePrefix(extras.routePrefix);
  const features: Array<Promise<DynamicModule>> = [...REST, UPLOADS].map((load) =>
    load().then((module) => ({ module })),
  );
  // The page calls the REST routes wherever the prefix put them.
  features.push(DASHBOARD(prefix));
  if (extras.health) features.push(HEALTH());
  if (extras.metrics) features.push(METRICS(extras.metrics === true ? {} : extras.metrics));
  if (prefix) {
    features.push(
      Promise.all(REST.map((load) => load())).then((modules) =>
        RouterModule.register(modules.map((module) => ({ path: prefix, module }))),
      ),
    );
  }
  return { module: TaskModule, imports: [core, ...features], exports: [core] };
}
