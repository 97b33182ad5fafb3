import type { Provider, Type } from '@nestjs/common';
import { BodyParserErrorBridge } from './body-parser-error.bridge';
import { HttpIdleTimeout } from './http-idle-timeout';
import { ResultDownloadService } from './result-download.service';
import { TaskSubmissionService } from './task-submission.service';
import { TasksController } from './tasks.controller';

/** Registered by `TaskModule`. */
export const HTTP_CONTROLLERS: Type[] = [TasksController];
export const HTTP_PROVIDERS: Provider[] = [
  TaskSubmissionService,
  ResultDownloadService,
  BodyParserErrorBridge,
  HttpIdleTimeout,
];

export { setupOpenApi } from './openapi';
export { sanitizeFileName, MAX_FILE_NAME_BYTES } from '../web/file-name';
export { TaskExceptionFilter } from '../web/task-exception.filter';
export type {
  ErrorBody,
  FieldIssueView,
  ResultFileView,
  StepView,
  TaskErrorView,
  TaskLinks,
  TaskListView,
  TaskResultView,
  TaskView,
} from '../web/task-view';
