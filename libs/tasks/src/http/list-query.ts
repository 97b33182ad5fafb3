import { z } from 'zod';
import { decodeCursor } from '../ports/list-cursor';
import type { ListRequest, OwnerScope } from '../engine/task-engine';
import { TASK_STATUSES } from '../model';
import { badRequest } from '../web/http-error';
import { TASK_TYPE_PATTERN } from './task-type.pipe';
import { fieldIssues } from './zod-issues';

/** Every task this API serves has a UUID (its ids come from `randomUUID()`, `TaskIdPipe` reads no other). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor this API returned: it decodes strictly (see `decodeCursor`) and names a task id. */
const isOurCursor = (cursor: string): boolean => UUID.test(decodeCursor(cursor)?.id ?? '');

/** Query strings are strings: a repeated parameter (an array) is refused, not guessed at. */
const schema = z.object({
  type: z.string().regex(TASK_TYPE_PATTERN, 'must be a task type name').optional(),
  status: z.enum(TASK_STATUSES).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be an integer from 1 to 100').max(100, 'must be an integer from 1 to 100'))
    .optional(),
  cursor: z.string().max(1024).refine(isOurCursor, 'is not a cursor returned by this API').optional(),
});

/** `GET /tasks?type=&status=&limit=&cursor=`; unknown parameters are ignored. 400 listing the bad fields. */
export function parseListQuery(query: unknown, owner: OwnerScope): ListRequest {
  const result = schema.safeParse(query ?? {});
  if (!result.success) {
    const details = fieldIssues(result.error);
    throw badRequest(`Invalid query: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return { owner, ...result.data };
}
