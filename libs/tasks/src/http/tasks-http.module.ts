import { Inject, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS, ROUTE_PREFIX } from '../core/tokens';
import { corsMiddleware, pathsUnder } from '../web/cors.middleware';
import { BodyParserErrorBridge } from './body-parser-error.bridge';
import { HttpIdleTimeout } from './http-idle-timeout';
import { OwnerQuotas } from '../web/owner-quotas';
import { ResultDownloadService } from './result-download.service';
import { TaskSubmissionService } from './task-submission.service';
import { TaskAuditController } from './task-audit.controller';
import { TaskMaintenanceController } from './task-maintenance.controller';
import { TasksController } from './tasks.controller';

/** The REST API of tasks: submit, list, status, result, download, cancel, pause, resume, delete, audit. */
@Module({
  // Maintenance first: its `/tasks/stats` must match before `/tasks/:id`.
  controllers: [TaskMaintenanceController, TasksController, TaskAuditController],
  providers: [OwnerQuotas, TaskSubmissionService, ResultDownloadService, BodyParserErrorBridge, HttpIdleTimeout],
})
export class TasksHttpModule implements NestModule {
  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(ROUTE_PREFIX) private readonly prefix: string,
  ) {}

  /** CORS of every route under `/tasks` (the SSE stream and webhooks' routes too), when `cors` is configured. */
  configure(consumer: MiddlewareConsumer): void {
    if (this.options.cors.enabled)
      consumer.apply(corsMiddleware(this.options.cors)).forRoutes(...pathsUnder(`${this.prefix}/tasks`));
  }
}
