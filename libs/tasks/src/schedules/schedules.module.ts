import { Inject, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS, ROUTE_PREFIX } from '../core/tokens';
import { corsMiddleware, pathsUnder } from '../web/cors.middleware';
import { SchedulesController } from './schedules.controller';

/** The REST API of cron schedules: list with next runs, add, pause, resume, remove. */
@Module({ controllers: [SchedulesController] })
export class SchedulesHttpModule implements NestModule {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(ROUTE_PREFIX) private readonly prefix: string,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    if (this.options.cors.enabled) {
      consumer.apply(corsMiddleware(this.options.cors)).forRoutes(...pathsUnder(`${this.prefix}/schedules`));
    }
  }
}
