import { Module } from '@nestjs/common';
import { BodyParserErrorBridge } from './body-parser-error.bridge';
import { HttpIdleTimeout } from './http-idle-timeout';
import { ResultDownloadService } from './result-download.service';
import { TaskSubmissionService } from './task-submission.service';
import { TaskMaintenanceController } from './task-maintenance.controller';
import { TasksController } from './tasks.controller';

/** The REST API of tasks: submit, list, status, result, download, cancel, pause, resume, delete. */
@Module({
  // Maintenance first: its `/tasks/stats` must match before `/tasks/:id`.
  controllers: [TaskMaintenanceController, TasksController],
  providers: [TaskSubmissionService, ResultDownloadService, BodyParserErrorBridge, HttpIdleTimeout],
})
export class TasksHttpModule {}
