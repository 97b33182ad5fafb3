import type { Request } from 'express';

/**
 * Path of the schedules collection as the host mounted it (`/schedules`, or
 * `/api/schedules` under a prefix), read from the matched route, for
 * `Location` and links.
 */
export function schedulesPath(req: Request): string {
  const route: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') {
    const match = /^(.*\/schedules)(?=\/|$)/.exec(route);
    if (match) return match[1];
  }
  return '/schedules';
}
