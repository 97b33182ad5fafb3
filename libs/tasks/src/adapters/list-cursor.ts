/** Keyset cursor for `GET /tasks`: newest first, ties broken by id. */
export interface CursorPosition {
  createdAt: number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ c: position.createdAt, i: position.id })).toString('base64url');
}

/** Returns null for a cursor that is not one of ours (the HTTP layer answers 400). */
export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    if (typeof raw.c === 'number' && typeof raw.i === 'string') return { createdAt: raw.c, id: raw.i };
  } catch {
    // fall through
  }
  return null;
}
