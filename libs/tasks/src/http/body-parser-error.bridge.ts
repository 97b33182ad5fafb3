import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from './http-error';

/** Paths the tasks controller serves, under any global prefix. */
const TASKS_PATH = /(^|\/)tasks(\/|$)/;

/**
 * The host's body parser fails before any route runs, so the controller's
 * filter never sees its errors, and Nest answers a too-large JSON body (413)
 * or an unknown charset (415) as `{ statusCode, message }`, without the
 * contract's `error`. This adds an Express error handler that shapes those
 * answers, and only those: errors of the body parser (they carry a `type`
 * and a 4xx status) on the tasks routes. Everything else goes on to Nest.
 *
 * Registered at module init, which Nest runs after the routes and before its
 * own error handler: the only slot where it can see these errors.
 */
@Injectable()
export class BodyParserErrorBridge implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || adapter.getType() !== 'express') return;
    adapter.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
      const status = bodyParserStatus(error);
      if (status === null || !TASKS_PATH.test(req.path) || res.headersSent) return next(error);
      res.status(status).json(errorBody(status, (error as Error).message));
    });
  }
}

function bodyParserStatus(error: unknown): number | null {
  const e = error as { type?: unknown; status?: unknown; expose?: unknown } | null;
  const status = e?.status;
  if (typeof e?.type !== 'string' || typeof status !== 'number' || status < 400 || status > 499) return null;
  return e.expose === false ? null : status;
}
