import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { clip, errorBody } from '../web/http-error';

/** Paths Stepwise's controllers serve (tasks, uploads, schedules), under any global prefix. */
const STEPWISE_PATH = /(^|\/)(tasks|uploads|schedules)(\/|$)/;

/**
 * The host's body parser fails before any route runs, so the controllers'
 * filter never sees its errors, and Nest answers them as `{ statusCode,
 * message }` without the contract's `error`, and logs a client's malformed
 * body (a `Content-Encoding` that does not decode) at ERROR with a stack.
 * This adds an Express error handler for those errors, and only those: a 4xx
 * meant for the client (http-errors' `expose`) on Stepwise's routes is
 * answered in the contract's shape and logged at WARN, one line without a
 * stack (a client's mistake, not a bug). Everything else goes on to Nest.
 *
 * Registered at module init, which Nest runs after the routes and before its
 * own error handler: the only slot where it can see these errors.
 */
@Injectable()
export class BodyParserErrorBridge implements OnModuleInit {
  private readonly logger = new Logger('Stepwise HTTP');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || adapter.getType() !== 'express') return;
    adapter.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
      const status = clientErrorStatus(error);
      if (status === null || !STEPWISE_PATH.test(req.path) || res.headersSent) return next(error);
      const message = messageOf(error, req);
      this.logger.warn(`${status} ${req.method} ${clip(req.path, 120)}: ${message}`);
      res.status(status).json(errorBody(status, message));
    });
  }
}

/** The status of an http-errors 4xx meant for the client (body-parser's, raw-body's), else null. */
function clientErrorStatus(error: unknown): number | null {
  const e = error as { status?: unknown; expose?: unknown; type?: unknown } | null;
  const status = e?.status;
  if (typeof status !== 'number' || status < 400 || status > 499 || e?.expose === false) return null;
  // A body parser's own errors carry a `type`; a wrapped one (a zlib error) only `expose`.
  return e?.expose === true || typeof e?.type === 'string' ? status : null;
}

/**
 * body-parser names what went wrong (`type`: too large, bad charset...),
 * except for a body that does not decode as its `Content-Encoding` says: a
 * bare "Bad Request" over a zlib error, which this spells out.
 */
function messageOf(error: unknown, req: Request): string {
  const { message, type } = error as { message?: unknown; type?: unknown };
  const encoding = req.headers['content-encoding'];
  if (type === undefined && encoding && encoding !== 'identity') {
    return `The body does not decode as its Content-Encoding (${clip(encoding)}) says`;
  }
  return typeof message === 'string' && message ? message : 'Bad request';
}
