export * from './clock';
export * from './task-store';
export * from './task-queue';
export * from './event-bus';
export * from './object-storage';
export * from './new-webhook-delivery';
export * from './task-notifier';
export * from './upload-store';
