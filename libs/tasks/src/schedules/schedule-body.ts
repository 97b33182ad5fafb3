import type { ScheduleSpec } from '../engine';
import { badRequest } from '../web/http-error';

const FIELDS = new Set(['name', 'type', 'cron', 'timezone', 'input', 'missed']);

/**
 * The body of `POST /schedules`: a JSON object of known fields. The values
 * are the scheduler's to check (it names the field of a bad one); the owner
 * is the caller, never the body's.
 */
export function parseScheduleBody(body: unknown, owner: string): ScheduleSpec {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The body must be a JSON object: { name, type, cron, timezone?, input?, missed? }');
  }
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw badRequest(
      `Unknown field(s): ${unknown.join(', ')}`,
      unknown.map((field) => ({ field, message: 'is not a schedule field' })),
    );
  }
  const b = body as Record<string, unknown>;
  for (const field of ['name', 'type', 'cron'] as const) {
    if (b[field] === undefined) throw badRequest(`${field} is required`, [{ field, message: 'is required' }]);
  }
  return {
    name: b.name as string,
    type: b.type as string,
    cron: b.cron as string,
    ...(b.timezone !== undefined ? { timezone: b.timezone as string } : {}),
    ...(b.input !== undefined ? { input: b.input } : {}),
    ...(b.missed !== undefined ? { missed: b.missed as ScheduleSpec['missed'] } : {}),
    owner,
  };
}
