import { Controller, Get, Inject, Next, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS } from '../core/tokens';
import { TASKS_NAMESPACE } from '../web/task-namespace';
import { renderDashboardPage } from './dashboard-page';
import { DashboardAssets, etagOf, type DashboardAsset } from './dashboard-assets';

/**
 * Same origin only: no inline script or style, no plugin, no framing. The
 * page's own script, stylesheet and the Socket.IO client (served by Socket.IO
 * under its path) are `'self'`; so are its fetches and its WebSocket
 * (`connect-src 'self'` covers `ws:`/`wss:` to the same host in CSP 3).
 * `img-src data:` is for the SVG favicon.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// Read at import, once per process: the files never change under a running server.
const ASSETS = DashboardAssets.load();
const SCRIPT = ASSETS.get('dashboard.js')!;
const STYLES = ASSETS.get('dashboard.css')!;

/**
 * `GET /`: the live dashboard (DESIGN.md, REST), with its script
 * (`GET /dashboard.js`) and stylesheet (`GET /dashboard.css`), files of
 * `assets/` shipped with the library: it lists the owner's tasks through the REST API
 * and follows them live over Socket.IO (namespace `/tasks`).
 *
 * `dashboard: false` in the module options turns the three routes off: they
 * pass the request on (`next()`), so the host's own `GET /`, if any, answers.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions) {}

  @Get()
  page(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    if (!this.options.dashboard) return next();
    const html = renderDashboardPage({
      base: mountBase(req),
      socketPath: this.options.realtime.path,
      namespace: TASKS_NAMESPACE,
    });
    send(res, { body: Buffer.from(html), type: 'text/html; charset=utf-8', etag: etagOf(html) });
  }

  @Get('dashboard.js')
  script(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    if (!this.options.dashboard) return next();
    send(res, SCRIPT);
  }

  @Get('dashboard.css')
  styles(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    if (!this.options.dashboard) return next();
    send(res, STYLES);
  }
}

/**
 * The app's mount prefix, read from the matched route of `GET /`: `''`, or
 * `/api` under `app.setGlobalPrefix('api')`. The page's links are built on it.
 */
export function mountBase(req: Request): string {
  const route: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route !== 'string') return '';
  return route.replace(/\/+$/, '');
}

function send(res: Response, { body, type, etag }: DashboardAsset): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  // Revalidated on every load, so an upgrade is never half-applied; Express answers 304 to a matching If-None-Match.
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', etag);
  res.status(200).type(type).send(body);
}
