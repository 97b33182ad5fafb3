/** Socket errors, and SQLSTATEs of PostgreSQL's connection classes (08, 53300, 57P0x). */
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'SQLITE_BUSY',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

/** TypeORM, ioredis and AWS SDK names for "the backend is not there right now". */
const NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'ConnectionIsNotSetError',
  'MaxRetriesPerRequestError',
  'TimeoutError',
  'ServiceUnavailable',
  'SlowDown',
]);

/** Drivers that report a lost connection only in words. */
const MESSAGES = [
  /connection (is )?(closed|terminated|refused)/i,
  /timeout exceeded when trying to connect/i,
  /stream isn't writeable/i,
  // better-sqlite3 once the app closed its database (a request still finishing during shutdown).
  /database connection is not open/i,
];

/**
 * True when an error means a backend (database, Redis, object storage) is
 * unreachable: the request may succeed later, so it is a 503, not a 500.
 * Looks through the wrappers drivers use (`cause`, TypeORM's `driverError`,
 * the `AggregateError` of a dual-stack connect).
 */
export function isUnavailableError(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const e = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (typeof e.code === 'string' && CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string))) return true;
  const nested = [e.cause, e.driverError, ...(Array.isArray(e.errors) ? e.errors : [])];
  return nested.some((inner) => isUnavailableError(inner, depth + 1));
}
