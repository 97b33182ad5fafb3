import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TaskModuleOptions } from './task-module-options';
import { ROUTE_PREFIX } from './tokens';

/** Where Prometheus metrics are served (`metrics` beside the module options). */
export interface MetricsOptions {
  /** `GET /metrics` on the app's own HTTP server. Default true unless `port` is set. */
  route?: boolean;
  /** Also (or only) on a listener of its own, e.g. 9464 for a worker. */
  port?: number;
  /** Host of that listener. Default all interfaces. */
  host?: string;
}

/**
 * What `TaskModule` needs to know when the module is defined, before any
 * factory runs: which routes to mount, and where. They sit beside the
 * options in both `forRoot` and `forRootAsync` (Nest's module "extras").
 */
export interface TaskModuleExtras {
  /** Make the core providers (engine, ports, tokens) visible to every module. Default true. */
  isGlobal: boolean;
  /**
   * Mount `GET /health` (readiness: database, queue, storage) and
   * `GET /health/live`. Default false: a host app with its own health
   * controller uses `StepwiseHealthIndicator` from `@stepwise/tasks/health`.
   */
  health: boolean;
  /**
   * Path under which the REST routes are mounted: `/api` serves
   * `POST /api/tasks/{type}`, `GET /api/tasks/{id}/events` and so on (links
   * in the answers follow). Default none: `/tasks/...`. The Socket.IO
   * namespace and the tus endpoint are not prefixed.
   */
  routePrefix: string;
  /**
   * Prometheus metrics (needs `prom-client`): `true` serves `GET /metrics` on
   * the app's server; `{ port: 9464 }` on a listener of its own (a worker has
   * no other). Default false. Protect the route as you would `/health`.
   */
  metrics: boolean | MetricsOptions;
}

export const {
  ConfigurableModuleClass: ConfigurableTaskModule,
  MODULE_OPTIONS_TOKEN: TASK_MODULE_OPTIONS,
  OPTIONS_TYPE: TASK_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TASK_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TaskModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<TaskModuleExtras>(
    { isGlobal: true, health: false, routePrefix: '', metrics: false },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      providers: [
        ...(definition.providers ?? []),
        { provide: ROUTE_PREFIX, useValue: normalizeRoutePrefix(extras.routePrefix) },
      ],
      exports: [...(definition.exports ?? []), ROUTE_PREFIX],
    }),
  )
  .build();

/** `''` or `/api` from `routePrefix`. @throws Error when it is no path. */
export function normalizeRoutePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(prefix) || prefix.includes('//')) {
    throw new Error(`Stepwise: routePrefix must be a path such as /api (got ${JSON.stringify(prefix)})`);
  }
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`;
}
