import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { Logger as PinoLogger, LoggerModule } from 'nestjs-pino';
import { destination } from 'pino';

/** How the shipped apps write their logs: one JSON object a line (pino), or Nest's coloured text. */
export type LogFormat = 'json' | 'pretty';

/** `TASKS_LOG_FORMAT`: `json` (the default) or `pretty`; anything else is a clear configuration error. */
export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const raw = env.TASKS_LOG_FORMAT?.trim().toLowerCase() || 'json';
  if (raw !== 'json' && raw !== 'pretty') {
    throw new Error(
      `Invalid configuration: TASKS_LOG_FORMAT=${JSON.stringify(env.TASKS_LOG_FORMAT)} must be json or pretty`,
    );
  }
  return raw;
}

/**
 * The modules that make the logs JSON: nestjs-pino, with pino-http logging
 * each request (method, URL, status, time; not the probes' and scrapes').
 * None for `pretty`: Nest's own logger stays.
 */
export function loggingModules(format: LogFormat): DynamicModule[] {
  if (format === 'pretty') return [];
  return [
    LoggerModule.forRoot({
      pinoHttp: {
        level: 'info',
        // Every line says what it is in words, as the text format does (`"level":"error"`).
        formatters: { level: (label: string) => ({ level: label }) },
        // What a request line needs, not its headers (credentials among them) nor the answer's.
        serializers: {
          req: (req: { id: unknown; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            url: req.url,
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        autoLogging: { ignore: (req) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? '') },
        // Written asynchronously (at once, never held back): a synchronous write of every line to a pipe whose
        // reader lags (a container's log driver) would stall the event loop, and every request
        // with it. pino flushes what is left when the process exits.
        stream: destination({ dest: 1, sync: false }),
      },
    }),
  ];
}

/** Routes Nest's logging (and so Stepwise's, and the steps' `ctx.logger`) through pino, for `json`. */
export function useAppLogger(app: INestApplicationContext, format: LogFormat): void {
  if (format === 'json') app.useLogger(app.get(PinoLogger));
}
