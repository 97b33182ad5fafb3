import { createHash } from 'node:crypto';

/**
 * The fingerprint of a submit: SHA-256 (hex) of the canonical JSON of
 * `{ type, input }`. Two submits with the same fingerprint asked for the
 * same thing, whatever the order of their object keys or their whitespace.
 * Stored with an idempotency key, it tells a retry (replayed) from a reuse of
 * the key for another request (refused, as the IETF idempotency-key draft
 * asks).
 *
 * @param type the task type
 * @param input the input as the client sent it (before validation, which may
 *   add defaults or drop keys); `undefined` counts as `null`
 */
export function requestFingerprint(type: string, input: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ type, input: input ?? null }))
    .digest('hex');
}

/**
 * JSON with object keys sorted at every depth; what `JSON.stringify` leaves
 * out (`undefined` members, functions) is left out here too, and `toJSON`
 * (a `Date`) is honoured as it would be.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) return member;
    const sorted: Record<string, unknown> = {};
    // Own keys only, through defineProperty: a key named `__proto__` stays data.
    for (const key of Object.keys(member).sort()) {
      Object.defineProperty(sorted, key, {
        value: (member as Record<string, unknown>)[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return sorted;
  });
}
