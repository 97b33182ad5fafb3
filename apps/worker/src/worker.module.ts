import { Module } from '@nestjs/common';
import { ExampleTasksModule } from '@stepwise/examples';
import { metricsFromEnv, TaskModule, taskModuleOptionsFromEnv } from '@stepwise/tasks';

/** The worker: the same tasks, running worker-placed steps (`TASKS_ROLE` defaults to `worker`). */
@Module({
  imports: [
    TaskModule.forRootAsync({
      useFactory: () => taskModuleOptionsFromEnv(process.env, { role: 'worker' }),
      metrics: metricsFromEnv(), // TASKS_METRICS: a port here, the worker serves no HTTP
    }),
    ExampleTasksModule,
  ],
})
export class WorkerModule {}
