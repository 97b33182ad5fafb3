import { badRequest } from '../web/http-error';

/** Deeper than any sane input; bounds the recursion of every later JSON walk (store, clone). */
const MAX_DEPTH = 64;

/**
 * Refuses input that a store would choke on with a 5xx: nesting deep enough
 * to overflow a recursive serializer, and NUL characters, which PostgreSQL's
 * `jsonb` rejects. Runs before validation so bad input is always a 400.
 */
export function assertStorableInput(value: unknown): void {
  const problem = findProblem(value, 0);
  if (problem) throw badRequest(`Invalid input: ${problem}`, [{ field: '(root)', message: problem }]);
}

function findProblem(value: unknown, depth: number): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? 'strings must not contain NUL characters' : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels`;
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    if (key.includes('\u0000')) return 'keys must not contain NUL characters';
    const problem = findProblem(inner, depth + 1);
    if (problem) return problem;
  }
  return null;
}
