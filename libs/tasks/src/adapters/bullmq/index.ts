export * from './bullmq-task-queue';
