/** Keyset cursor for `GET /tasks`: newest first, ties broken by id. */
export interface CursorPosition {
  createdAt: number;
  id: string;
}

/** A task id: UUIDs from the module, any id token from an engine's own `newId`; never SQL or a blob. */
const TASK_ID = /^[\w-]{1,128}$/;
/** The last instant a JavaScript `Date` can hold: any later `createdAt` was not written by us. */
const MAX_EPOCH_MS = 8_640_000_000_000_000;

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ c: position.createdAt, i: position.id })).toString('base64url');
}

/**
 * Returns null for a cursor that is not one of ours (the HTTP layer answers
 * 400; a store starts from the first page). Strict, because the position
 * goes into SQL: `createdAt` must be an integer epoch in milliseconds that
 * a `bigint` column holds, `id` an id token, and the cursor exactly what
 * {@link encodeCursor} writes for them.
 */
export function decodeCursor(cursor: string): CursorPosition | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const { c, i } = raw as { c?: unknown; i?: unknown };
  if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0 || c > MAX_EPOCH_MS) return null;
  if (typeof i !== 'string' || !TASK_ID.test(i)) return null;
  const position = { createdAt: c, id: i };
  // base64url decoding skips what it cannot read, and JSON allows other keys: only our own spelling passes.
  return encodeCursor(position) === cursor ? position : null;
}
