export * from './data-source';
export * from './typeorm-task-store';
export * from './entities/task.entity';
export * from './entities/task-step.entity';
export * from './entities/task-event.entity';
export * from './migrations/1700000000000-initial-schema';
