export * from './bullmq-task-queue';
export * from './host-bullmq-task-queue';
export * from './connection-options';
