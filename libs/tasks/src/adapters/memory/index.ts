export * from './manual-clock';
export * from './memory-event-bus';
export * from './memory-task-queue';
export * from './memory-task-store';
export * from './system-clock';
export * from './memory-upload-store';
export * from './memory-object-storage';
export * from './memory-api-key-store';
