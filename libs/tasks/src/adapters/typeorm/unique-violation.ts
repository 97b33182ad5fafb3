/**
 * Whether a statement failed on a unique index: PostgreSQL's `23505`, or
 * SQLite's constraint error, whether the driver's error comes bare or wrapped
 * in TypeORM's `QueryFailedError` (`driverError`).
 */
export function isUniqueViolation(error: unknown): boolean {
  const driver = (error as { driverError?: unknown } | null)?.driverError ?? error;
  const { code, message } = (driver ?? {}) as { code?: unknown; message?: unknown };
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return true;
  return typeof message === 'string' && message.includes('UNIQUE constraint failed');
}
