import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import type { StepLogFields, TaskLogger } from '../definition';
import { stepLinePrefix } from '../engine/step-logger';

/** The app's logger, as `app.useLogger(...)` set it (Nest keeps it in a protected static). */
function appLogger(): LoggerService | undefined {
  return (Logger as unknown as { staticInstanceRef?: LoggerService }).staticInstanceRef;
}

/**
 * Whether the app's logger takes an object of fields first (nestjs-pino's
 * `Logger`, and others that are not Nest's own console logger). Asked at
 * each line: the app may swap its logger after the engine is built.
 */
function takesFields(): boolean {
  const logger = appLogger();
  return logger !== undefined && !(logger instanceof ConsoleLogger);
}

/**
 * The engine's logger on Nest's `Logger` (context `Stepwise`). Its
 * {@link child}, the `ctx.logger` of a step attempt, writes the task id,
 * type, owner, step and attempt as fields of each line when the app's logger
 * is pino (`nestjs-pino`), and at the start of the message otherwise.
 */
export class NestTaskLogger implements TaskLogger {
  private readonly nest: Logger;

  constructor(context = 'Stepwise') {
    this.nest = new Logger(context);
  }

  log(message: string): void {
    this.nest.log(message);
  }

  warn(message: string): void {
    this.nest.warn(message);
  }

  error(message: string): void {
    this.nest.error(message);
  }

  child(fields: StepLogFields): TaskLogger {
    const prefix = stepLinePrefix(fields);
    const write = (level: 'log' | 'warn' | 'error', message: string) => {
      // nestjs-pino: (fields, message, context) becomes one JSON line with the fields, `msg` and `context`.
      if (takesFields()) this.nest[level]({ ...fields }, message);
      else this.nest[level](prefix + message);
    };
    return {
      log: (message) => write('log', message),
      warn: (message) => write('warn', message),
      error: (message) => write('error', message),
    };
  }
}
