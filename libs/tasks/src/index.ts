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
export * from './adapters/s3';
export * from './nest';
export * from './config';
export * from './http';
export * from './realtime';
export * from './health';
export {
  RedisUploadLocker,
  ResumableUploads,
  RESUMABLE_UPLOADS,
  UPLOAD_STORE,
  type RedisUploadLockerOptions,
} from './uploads';
