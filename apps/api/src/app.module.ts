import { Module, type DynamicModule } from '@nestjs/common';
import { ExampleTasksModule } from '@stepwise/examples';
import { metricsFromEnv, TaskModule, taskModuleOptionsFromEnv, type TaskModuleOptions } from '@stepwise/tasks';
import { loggingModules, type LogFormat } from './app-logging';

/**
 * What the shipped API serves unless the environment says otherwise: resumable uploads
 * (`UPLOAD_RESUMABLE=false` turns them off) and the dashboard at `/` (`DASHBOARD_PATH` moves it,
 * `DASHBOARD=false` turns it off).
 */
const APP_DEFAULTS: TaskModuleOptions = { uploads: { resumable: true }, dashboard: { path: '/' } };

/** The API: REST (and, in embedded mode, the worker in-process), configured by the environment. */
@Module({
  imports: [
    TaskModule.forRootAsync({
      useFactory: () => taskModuleOptionsFromEnv(process.env, APP_DEFAULTS),
      health: true, // GET /health and /health/live, for the load balancer and the orchestrator
      metrics: metricsFromEnv(), // TASKS_METRICS
    }),
    ExampleTasksModule,
  ],
})
export class AppModule {
  /** The app with its logs in `format` (`TASKS_LOG_FORMAT`): JSON through nestjs-pino, or Nest's text. */
  static withLogs(format: LogFormat): DynamicModule {
    return { module: AppModule, imports: loggingModules(format) };
  }
}
