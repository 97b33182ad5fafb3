export * from './task-status';
export * from './task-record';
export * from './task-event';
export * from './schedule';
export * from './task-wait';
export * from './held-back';
