import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { guardedListeners } from '../web/guarded-listeners';
import { TaskMetrics } from './task-metrics';

/**
 * Counts every HTTP request once it is answered, by its route pattern
 * (`/tasks/:id`, never the id itself, which would make a series per task)
 * and status. Requests that match no route count as `unmatched`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: TaskMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    // A metric that cannot be counted must not fail the request.
    guardedListeners(() => undefined).once(res, 'finish', () => {
      const path = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
      this.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      this.metrics.httpDuration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  }
}
