import { Module, type DynamicModule } from '@nestjs/common';
import { ExampleTasksModule } from '@stepwise/examples';
import { metricsFromEnv, TaskModule, taskModuleOptionsFromEnv } from '@stepwise/tasks';
// The API's logging setup, shared: the same JSON lines from both apps.
import { loggingModules, type LogFormat } from '../../api/src/app-logging';

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
export class WorkerModule {
  /** The worker with its logs in `format` (`TASKS_LOG_FORMAT`). */
  static withLogs(format: LogFormat): DynamicModule {
    return { module: WorkerModule, imports: loggingModules(format) };
  }
}
