import { Module } from '@nestjs/common';
import { BodyParserErrorBridge } from './body-parser-error.bridge';
import { HttpIdleTimeout } from './http-idle-timeout';
import { ResultDownloadService } from './result-download.service';
import { TaskSubmissionService } from './task-submission.service';
import { TasksController } from './tasks.controller';

/** The REST API of tasks: submit, list, status, result, download, cancel, pause, resume, delete. */
@Module({
  controllers: [TasksController],
  providers: [TaskSubmissionService, ResultDownloadService, BodyParserErrorBridge, HttpIdleTimeout],
})
export class TasksHttpModule {}
