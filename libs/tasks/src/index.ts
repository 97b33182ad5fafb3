/**
 * @stepwise/tasks: declared, durable background tasks for NestJS.
 * The public surface: decorators, the module, the engine facade, ports, the
 * adapters users may compose, the REST and event views, and what a webhook
 * receiver needs. Features load when `TaskModule` is defined; more entry
 * points: `/s3`, `/redis`, `/health`, `/openapi`, `/testing`.
 */
export * from './model';
export * from './ports';
export * from './definition';
export {
  NonRetryableError,
  SignalTimeoutError,
  ChildTaskFailedError,
  TaskEngine,
  TaskOperationError,
  TaskHandle,
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type SubmitRequest,
  type SubmitResult,
  type ListRequest,
  type TaskStatsSummary,
  type ScheduleInfo,
  type ScheduleSpec,
  scheduleSlotKey,
  ANY_OWNER,
  type OwnerScope,
  type TaskFilter,
} from './engine';
export * from './adapters/memory';
export * from './adapters/filesystem';
// The S3 adapter itself is `@stepwise/tasks/s3`: the AWS SDK loads only when S3 is used.
export * from './adapters/s3/s3-storage-options';
export { InvalidObjectKeyError } from './adapters/s3/object-keys';
export * from './core';
export * from './task.module';
export type { TaskModuleExtras } from './core/task-module.definition';

// The REST API's answers and the live events' shape.
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
} from './web/task-view';
export type { ScheduleListView, ScheduleView } from './schedules/schedule-view';
export { TASKS_NAMESPACE } from './web/task-namespace';
export { sanitizeFileName, MAX_FILE_NAME_BYTES } from './web/file-name';
export {
  PUBLIC_EVENT_TYPES,
  isPublicEvent,
  isTerminalEvent,
  toTaskEventView,
  type TaskEventView,
} from './realtime/task-event-view';

export * from './webhooks';
export { RESUMABLE_UPLOADS } from './uploads/upload-tokens';
// The Redis upload locker is `@stepwise/tasks/redis`.
