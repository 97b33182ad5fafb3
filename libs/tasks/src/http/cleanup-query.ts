import { z } from 'zod';
import type { FinishedQuery } from '../ports';
import { TERMINAL_STATUSES, type TaskStatus } from '../model';
import { badRequest } from '../web/http-error';
import { TASK_TYPE_PATTERN } from './task-type.pipe';
import { fieldIssues } from './zod-issues';

const TERMINAL = TERMINAL_STATUSES as readonly string[];

function isoTime() {
  return z
    .string()
    .max(40)
    .refine((value) => /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)), {
      message: 'must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z',
    })
    .transform((value) => Date.parse(value));
}

function invalidQuery(error: z.ZodError) {
  const details = fieldIssues(error);
  return badRequest(`Invalid query: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/** Query strings are strings: a repeated parameter (an array) is refused, not guessed at. */
const schema = z.object({
  type: z.string().regex(TASK_TYPE_PATTERN, 'must be a task type name').optional(),
  status: z
    .string()
    .max(100)
    .transform((list) => list.split(',').map((s) => s.trim()))
    .refine((list) => list.every((s) => TERMINAL.includes(s)), {
      message: `must list finished statuses only (${TERMINAL.join(', ')}): running tasks are never deleted this way`,
    })
    .optional(),
  finishedBefore: isoTime().optional(),
});

const retrySchema = z.object({
  type: z.string().regex(TASK_TYPE_PATTERN, 'must be a task type name').optional(),
  finishedAfter: isoTime().optional(),
  finishedBefore: isoTime().optional(),
});

/** `POST /tasks/retry?type=&finishedAfter=&finishedBefore=`: 400 listing the bad fields. */
export function parseRetryQuery(query: unknown): Pick<FinishedQuery, 'type' | 'finishedAfter' | 'finishedBefore'> {
  const result = retrySchema.safeParse(query ?? {});
  if (!result.success) throw invalidQuery(result.error);
  return Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== undefined));
}

/** `DELETE /tasks?status=&type=&finishedBefore=`: 400 listing the bad fields. */
export function parseCleanupQuery(query: unknown): Omit<FinishedQuery, 'limit' | 'owner'> {
  const result = schema.safeParse(query ?? {});
  if (!result.success) throw invalidQuery(result.error);
  const { type, status, finishedBefore } = result.data;
  return {
    ...(type !== undefined ? { type } : {}),
    ...(status !== undefined ? { statuses: status as TaskStatus[] } : {}),
    ...(finishedBefore !== undefined ? { finishedBefore } : {}),
  };
}
