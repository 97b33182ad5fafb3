import { Module } from '@nestjs/common';
import { ExampleTasksModule } from '@stepwise/examples';
import { TaskModule, taskModuleOptionsFromEnv } from '@stepwise/tasks';

/** The worker: the same tasks, running worker-placed steps (`TASKS_ROLE` defaults to `worker`). */
@Module({
  imports: [
    TaskModule.forRootAsync({ useFactory: () => taskModuleOptionsFromEnv(process.env, { role: 'worker' }) }),
    ExampleTasksModule,
  ],
})
export class WorkerModule {}
