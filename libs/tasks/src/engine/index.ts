export * from './backoff';
export * from './engine-deps';
export * from './errors';
export * from './input-validation';
export * from './task-engine';
export * from './task-errors';
export * from './task-worker';
export * from './sweeper';
