import type { EntitySchemaColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Epoch milliseconds and event ids live in `bigint` columns; node-postgres
 * returns int8 as a string (it cannot know the value fits a double), so reads
 * go through Number. Both stay far below 2^53.
 */
export const int64: ValueTransformer = {
  to: (value: number | null | undefined) => value ?? null,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/**
 * JSON kept in `text` (not `json`/`jsonb`) so one schema serves SQLite and
 * PostgreSQL. `undefined` and `null` both become SQL NULL.
 */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value)),
  from: (value: string | null) => (value === null || value === undefined ? null : JSON.parse(value)),
};

export function stringColumn(name: string, nullable = false): EntitySchemaColumnOptions {
  return { name, type: 'varchar', nullable };
}

export function timeColumn(name: string, nullable = false): EntitySchemaColumnOptions {
  return { name, type: 'bigint', nullable, transformer: int64 };
}

export function jsonColumn(name: string): EntitySchemaColumnOptions {
  return { name, type: 'text', nullable: true, transformer: jsonText };
}

export function intColumn(name: string): EntitySchemaColumnOptions {
  return { name, type: 'integer' };
}

/** `double precision` exists on both databases; `real` would be 4 bytes on PostgreSQL. */
export function fractionColumn(name: string): EntitySchemaColumnOptions {
  return { name, type: 'double precision' };
}
