export * from './decorators';
export * from './retry-policy';
export * from './standard-schema';
export * from './step-context';
export * from './task-definition';
export * from './task-definition-error';
export * from './task-options';
export * from './task-registry';
