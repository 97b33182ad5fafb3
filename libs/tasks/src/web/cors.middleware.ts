import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { CorsPolicy, CorsRouteHeaders } from '../core/cors-policy';

type Next = (error?: unknown) => void;

/**
 * The CORS middleware of Stepwise's routes, under `policy`: an allowed
 * origin gets its `Access-Control-*` headers, and its preflight (`OPTIONS`
 * with `Access-Control-Request-Method`) is answered `204` here, before any
 * route, guard or resolver (a preflight carries no credential). Any other
 * origin gets none; its preflight is answered `204` without them, which the
 * browser reads as a refusal. Requests are never refused here: a page of
 * the same origin sends its `Origin` too and needs no CORS header.
 */
export function corsMiddleware(policy: CorsPolicy, route?: CorsRouteHeaders) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (!policy.enabled) return next();
    const origin = req.headers.origin;
    appendVary(res, 'Origin');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    for (const [name, value] of Object.entries(policy.headersFor(origin, { preflight, route }))) {
      res.setHeader(name, value);
    }
    if (!preflight) return next();
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
  };
}

function appendVary(res: ServerResponse, name: string): void {
  const current = res.getHeader('Vary');
  const values = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (!values.some((v) => v === '*' || v.toLowerCase() === name.toLowerCase()))
    res.setHeader('Vary', [...values, name].join(', '));
}

/** Strips the `Access-Control-*` headers another component (tus) would write: the policy's middleware set the right ones. */
export function withoutForeignCorsHeaders(res: ServerResponse): void {
  const writeHead = res.writeHead;
  const keep = (name: unknown) => typeof name !== 'string' || !/^access-control-/i.test(name);
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const args = rest.map((arg) => {
      if (Array.isArray(arg)) {
        // Either [[name, value], ...] or the flat [name, value, name, value].
        if (arg.every((entry) => Array.isArray(entry))) return arg.filter((entry) => keep(entry[0]));
        const pairs: unknown[] = [];
        for (let i = 0; i + 1 < arg.length; i += 2) if (keep(arg[i])) pairs.push(arg[i], arg[i + 1]);
        return pairs;
      }
      if (arg && typeof arg === 'object') return Object.fromEntries(Object.entries(arg).filter(([name]) => keep(name)));
      return arg;
    });
    return writeHead.call(this, status, ...(args as [])) as ServerResponse;
  } as ServerResponse['writeHead'];
}

/** The paths of a controller prefix as middleware routes: the collection and everything under it. */
export function pathsUnder(prefix: string): Array<{ path: string; method: RequestMethod }> {
  return [
    { path: prefix, method: RequestMethod.ALL },
    { path: `${prefix}/*splat`, method: RequestMethod.ALL },
  ];
}
