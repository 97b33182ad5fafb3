import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeOnSignals, taskModuleOptionsFromEnv } from '@stepwise/tasks';
import { WorkerModule } from './worker.module';
import { logFormatFromEnv, useAppLogger } from '../../api/src/app-logging';

async function bootstrap(): Promise<void> {
  // Configuration is checked before Nest starts: a bad variable is one clear line, not a stack.
  const options = taskModuleOptionsFromEnv(process.env, { role: 'worker' });
  const logs = logFormatFromEnv();

  const app = await NestFactory.createApplicationContext(WorkerModule.withLogs(logs), {
    abortOnError: false,
    bufferLogs: logs === 'json',
  });
  useAppLogger(app, logs);
  const logger = new Logger('Worker');
  if ((options.mode ?? 'embedded') === 'embedded') {
    logger.warn(
      'embedded mode: the API already runs every step in-process; a separate worker helps with TASKS_MODE=distributed',
    );
  }
  closeOnSignals(app); // graceful: running tasks are handed back, then exit 0
  // Nothing else holds the event loop (the library's timers are unref'd):
  // the worker runs until a signal closes the app (which then exits).
  setInterval(() => undefined, 2 ** 30);
  logger.log(`worker started (role ${options.role}), pid ${process.pid}`);
}

bootstrap().catch((error: unknown) => {
  console.error(`stepwise worker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
