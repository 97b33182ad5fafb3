import { Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS } from '../core/tokens';
import { DASHBOARD_ROUTE_PREFIX, configureDashboard } from './dashboard.middleware';

/**
 * The live dashboard: the page and its files at `dashboard.path`. Its routes
 * are set up here, when the app initialises, because the path is an option
 * that `forRootAsync` resolves only then.
 */
@Module({})
export class DashboardModule implements NestModule {
  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions) {}

  /** `routePrefix`: where `TaskModule` mounted the REST routes the page calls (`''` or `/api`). */
  static register(routePrefix: string): DynamicModule {
    return { module: DashboardModule, providers: [{ provide: DASHBOARD_ROUTE_PREFIX, useValue: routePrefix }] };
  }

  configure(consumer: MiddlewareConsumer): void {
    configureDashboard(consumer, this.options);
  }
}
