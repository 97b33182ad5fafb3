/**
 * @stepwise/tasks: declared, durable background tasks for NestJS.
 * The public surface: decorators, the module, the engine facade, ports and
 * the adapters users may compose.
 */
export * from './model';
export * from './ports';
export * from './definition';
export {
  NonRetryableError,
  TaskEngine,
  TaskOperationError,
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type SubmitRequest,
  type SubmitResult,
  type ListRequest,
} from './engine';
export * from './adapters/memory';
export * from './adapters/filesystem';
// The S3 adapter itself is `@stepwise/tasks/s3`: the AWS SDK loads only when S3 is used.
export * from './adapters/s3/s3-storage-options';
export { InvalidObjectKeyError } from './adapters/s3/object-keys';
export * from './core';
export * from './task.module';

export * from './http';
export * from './realtime';
export * from './health';
// From their own files, not the uploads barrel: tus and ioredis (optional peers) stay out of the root's types.
export { RESUMABLE_UPLOADS, UPLOAD_STORE } from './uploads/upload-tokens';
export type { UploadLock, UploadLocker } from './ports/upload-locker';
// The Redis upload locker is `@stepwise/tasks/redis`.
