export * from './owner-resolver';
export * from './auth/task-authorizer';
export * from './task-module-options';
export * from './tokens';
export { TASK_MODULE_OPTIONS } from './task-module.definition';
export * from './shutdown-signals';
export * from './tasks-config-from-env';
export * from './task-submitter';
