import { z } from 'zod';
import { badRequest } from '../web/http-error';
import { fieldIssues } from './zod-issues';

/** The most entries one page of `GET /tasks/{id}/audit` has. */
export const MAX_AUDIT_PAGE = 500;

const limitMessage = `must be an integer from 1 to ${MAX_AUDIT_PAGE}`;

/** Query strings are strings: a repeated parameter (an array) is refused, not guessed at. */
const schema = z.object({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer (the seq of an entry)')
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, limitMessage)
    .transform(Number)
    .pipe(z.number().int().min(1, limitMessage).max(MAX_AUDIT_PAGE, limitMessage))
    .optional(),
});

/** `?after=&limit=` of `GET /tasks/{id}/audit`; unknown parameters are ignored. 400 listing the bad fields. */
export function parseAuditQuery(query: unknown): { after: number; limit: number } {
  const result = schema.safeParse(query ?? {});
  if (!result.success) {
    const details = fieldIssues(result.error);
    throw badRequest(`Invalid query: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return { after: result.data.after ?? 0, limit: result.data.limit ?? 100 };
}
