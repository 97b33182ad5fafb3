import { badRequest } from '../web/http-error';

/** An event id is a `seq` of the event log: a non-negative safe integer. */
const EVENT_ID = /^\d{1,15}$/;

/**
 * Where an SSE client resumes: the `Last-Event-ID` header (sent by
 * `EventSource` when it reconnects), else the `lastEventId` query parameter
 * (for polyfills and first connections that cannot set headers). The header
 * wins: a browser reconnecting to a URL that carries an older query value
 * sends the newer id in the header. Absent or empty: from the beginning.
 *
 * @throws a 400 `ApiError` for anything that is not an event id.
 */
export function parseLastEventId(header: unknown, query: unknown): number | undefined {
  const fromHeader = pick('Last-Event-ID', header);
  if (fromHeader !== undefined) return fromHeader;
  return pick('lastEventId', query);
}

function pick(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    if (EVENT_ID.test(trimmed)) return Number(trimmed);
  }
  const message = 'must be an event id (a non-negative integer)';
  throw badRequest(`${field} ${message}`, [{ field, message }]);
}
