/**
 * The Standard Schema v1 interface (standardschema.dev), copied as its spec
 * recommends. Any compliant validator (zod, valibot, arktype ...) can describe
 * a task's input without the library depending on one.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardSchemaResult<Output> =
  { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

export interface StandardSchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * The converter of the Standard JSON Schema interface (standardschema.dev/json-schema),
 * which a validator may offer next to `validate` (zod 4 does).
 */
export interface StandardJSONSchemaConverter {
  readonly input: (options: { readonly target: string }) => Record<string, unknown>;
  readonly output: (options: { readonly target: string }) => Record<string, unknown>;
}

/**
 * The JSON Schema (draft 2020-12) of what a task's input validator accepts,
 * from the validator's own converter (`~standard.jsonSchema`); undefined when
 * there is no validator, it offers no converter, or the converter refuses the
 * schema (zod does for a custom check it cannot express, for instance).
 */
export function inputJsonSchema(schema: StandardSchemaV1 | undefined): Record<string, unknown> | undefined {
  const converter = (schema?.['~standard'] as { jsonSchema?: Partial<StandardJSONSchemaConverter> } | undefined)
    ?.jsonSchema;
  if (typeof converter?.input !== 'function') return undefined;
  try {
    const json: unknown = converter.input({ target: 'draft-2020-12' });
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
