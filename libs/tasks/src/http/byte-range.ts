import type { ByteRange } from '../ports';

/** What a `Range` header asks of a representation of `size` bytes. */
export type RangeRequest = { kind: 'full' } | { kind: 'partial'; range: ByteRange } | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/**
 * Parses a single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`).
 *
 * RFC 9110 lets a server ignore a Range it does not support, so a malformed
 * header, another unit, or several ranges (which would need
 * `multipart/byteranges`) give the full representation rather than an error.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header);
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
  if (first === '' && last === '') return { kind: 'full' };
  const start = first === '' ? undefined : toInt(first);
  const end = last === '' ? undefined : toInt(last);
  if (start === null || end === null) return { kind: 'full' };

  if (start === undefined) {
    // Suffix range: the last `end` bytes.
    if (end === undefined || end === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - end), end: size - 1 } };
  }
  if (end !== undefined && end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end ?? size - 1, size - 1) } };
}

/** Null for numbers too large to be exact: such a header is ignored. */
function toInt(digits: string): number | null {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
}
