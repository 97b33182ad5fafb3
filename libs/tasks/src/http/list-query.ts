import { z } from 'zod';
import { decodeCursor } from '../adapters/list-cursor';
import type { ListRequest } from '../engine/task-engine';
import { TASK_STATUSES, type TaskStatus } from '../model';
import { badRequest } from './http-error';
import { TASK_TYPE_PATTERN } from './task-type.pipe';
import { fieldIssues } from './zod-issues';

const STATUSES = TASK_STATUSES as unknown as [TaskStatus, ...TaskStatus[]];

/** Query strings are strings: a repeated parameter (an array) is refused, not guessed at. */
const schema = z.object({
  type: z.string().regex(TASK_TYPE_PATTERN, 'must be a task type name').optional(),
  status: z.enum(STATUSES).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be an integer from 1 to 100').max(100, 'must be an integer from 1 to 100'))
    .optional(),
  cursor: z
    .string()
    .max(1024)
    .refine((cursor) => decodeCursor(cursor) !== null, 'is not a cursor returned by this API')
    .optional(),
});

/** `GET /tasks?type=&status=&limit=&cursor=`; unknown parameters are ignored. 400 listing the bad fields. */
export function parseListQuery(query: unknown, owner: string): ListRequest {
  const result = schema.safeParse(query ?? {});
  if (!result.success) {
    const details = fieldIssues(result.error);
    throw badRequest(`Invalid query: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return { owner, ...result.data };
}
