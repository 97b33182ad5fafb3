import type { Request } from 'express';

/**
 * Path of the tasks collection as the host mounted it, for `Location` and
 * links: `/tasks`, or `/api/tasks` under a global prefix. Read from the
 * matched route, which always ends with the controller's own segments.
 */
export function tasksPath(req: Request): string {
  const route: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') {
    // Greedy: the last `/tasks` segment is the controller's, whatever the prefix holds.
    const match = /^(.*\/tasks)(?=\/|$)/.exec(route);
    if (match) return match[1];
  }
  return '/tasks';
}
