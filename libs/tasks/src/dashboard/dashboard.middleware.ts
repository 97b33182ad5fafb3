import { Inject, Injectable, RequestMethod, type MiddlewareConsumer, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { inputJsonSchema, type TaskRegistry } from '../definition';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS, TASK_REGISTRY } from '../core/tokens';
import { TASKS_NAMESPACE } from '../web/task-namespace';
import {
  ASSET_CACHE_CONTROL,
  DashboardAssets,
  PAGE_CACHE_CONTROL,
  STYLESHEET,
  dashboardHeaders,
  etagOf,
  type DashboardAsset,
} from './dashboard-assets';
import { renderDashboardPage, type DashboardTaskType } from './dashboard-page';

/** `TaskModule`'s `routePrefix` (`''` or `/api`): the REST routes are under it, the page is not. */
export const DASHBOARD_ROUTE_PREFIX = Symbol.for('stepwise:DashboardRoutePrefix');

/** The folder, below the page's path, of the files of each release: `{path}/assets/{version}/{file}`. */
const ASSETS_SEGMENT = 'assets';

/**
 * Serves the dashboard at `dashboard.path` (DESIGN.md, REST; `/` in the
 * shipped API): the page, and its files at URLs that carry their version.
 * Registered as middleware on exactly those two routes, because the path is
 * an option, known only once `forRootAsync` has resolved it (a controller's
 * path is fixed when its class is declared). Anything it does not know, such
 * as a file of another version, passes on to the app's other routes.
 */
@Injectable()
export class DashboardMiddleware implements NestMiddleware {
  private readonly assets = DashboardAssets.load();
  private taskTypes?: DashboardTaskType[];

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(TASK_REGISTRY) private readonly registry: TaskRegistry,
    @Inject(DASHBOARD_ROUTE_PREFIX) private readonly routePrefix: string,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    if (params.file === undefined) return this.page(req, res);
    const asset = params.version === this.assets.version ? this.assets.get(params.file) : undefined;
    if (!asset) return next();
    send(res, asset, ASSET_CACHE_CONTROL);
  }

  private page(req: Request, res: Response): void {
    const pageUrl = routePath(req) || '/';
    const base = mountBase(pageUrl, this.options.dashboard?.path ?? '/');
    const html = renderDashboardPage({
      pageUrl,
      assetBase: `${pageUrl.replace(/\/$/, '')}/${ASSETS_SEGMENT}/${this.assets.version}`,
      scripts: this.assets.scripts(),
      stylesheet: STYLESHEET,
      data: {
        base: base + this.routePrefix,
        socketPath: this.options.realtime.path,
        namespace: TASKS_NAMESPACE,
        taskTypes: this.describeTaskTypes(),
      },
    });
    send(res, { body: Buffer.from(html), type: 'text/html; charset=utf-8', etag: etagOf(html) }, PAGE_CACHE_CONTROL);
  }

  /**
   * The types the REST API submits (not those declared `http: false`), once:
   * every task type is registered by the time a request arrives, and none is added later.
   */
  private describeTaskTypes(): DashboardTaskType[] {
    this.taskTypes ??= this.registry
      .all()
      .filter((definition) => definition.http)
      .map((definition) => ({
        type: definition.name,
        acceptsFiles: definition.acceptsFiles,
        schema: inputJsonSchema(definition.input) ?? null,
      }));
    return this.taskTypes;
  }
}

/** Routes the dashboard's two GET routes (under the app's global prefix) to {@link DashboardMiddleware}; nothing when it is off. */
export function configureDashboard(consumer: MiddlewareConsumer, options: ResolvedOptions): void {
  if (!options.dashboard) return;
  const { path } = options.dashboard;
  consumer
    .apply(DashboardMiddleware)
    .forRoutes(
      { path, method: RequestMethod.GET },
      { path: `${path === '/' ? '' : path}/${ASSETS_SEGMENT}/:version/:file`, method: RequestMethod.GET },
    );
}

/** The matched route's path: the page's path with the app's global prefix (`/api/dashboard`). */
function routePath(req: Request): string {
  const route: unknown = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? route.replace(/\/+$/, '') : '';
}

/**
 * The app's mount prefix, the page's route without the dashboard's own path:
 * `''`, or `/api` under `app.setGlobalPrefix('api')`. REST is at
 * `{base}{routePrefix}/tasks`.
 */
export function mountBase(pageRoute: string, dashboardPath: string): string {
  const route = pageRoute.replace(/\/+$/, '');
  const own = dashboardPath === '/' ? '' : dashboardPath;
  return own && route.endsWith(own) ? route.slice(0, -own.length) : route;
}

function send(res: Response, asset: DashboardAsset, cacheControl: string): void {
  res.set(dashboardHeaders(asset, cacheControl));
  // Express answers 304 itself to a matching If-None-Match.
  res.status(200).send(asset.body);
}
