import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { toErrorResponse } from './error-response';

/**
 * Answers every error of the tasks controller as `{ statusCode, error,
 * message, details? }`. Bound with `@UseFilters` on the controller, never
 * globally: a library must not change the errors of its host's other routes.
 */
@Catch()
export class TaskExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Stepwise HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { body, headers, log } = toErrorResponse(exception);
    if (log === 'error')
      this.logger.error(describe(exception), exception instanceof Error ? exception.stack : undefined);
    if (log === 'warn') this.logger.warn(`backend unavailable: ${describe(exception)}`);

    if (response.headersSent) {
      // Mid-stream (a download): the only honest signal left is a cut connection.
      response.destroy();
      return;
    }
    // A download may have set these before failing; they must not describe the error body.
    for (const name of ['Content-Disposition', 'Content-Length', 'Content-Range', 'ETag', 'Accept-Ranges']) {
      response.removeHeader(name);
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(body.statusCode).json(body);
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
