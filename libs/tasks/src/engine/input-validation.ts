import type { StandardSchemaIssue, StandardSchemaV1, TaskDefinition } from '../definition';
import { invalidInput } from './operation-errors';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Validates a task's input against its declared schema; throws a 400-kind error listing fields. */
export async function validateInput(definition: TaskDefinition, input: unknown): Promise<unknown> {
  if (!definition.input) return input ?? {};
  const result = await definition.input['~standard'].validate(input ?? {});
  if (!result.issues) return result.value;
  const details: FieldIssue[] = result.issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }));
  throw invalidInput(
    `Invalid input for task "${definition.name}": ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
    details,
  );
}

/** The step that declares signal `name`, and its payload schema (null: any JSON); throws a 400-kind error when none does. */
export function declaredSignal(definition: TaskDefinition, name: string): StandardSchemaV1 | null {
  for (const step of definition.steps) if (step.signals.has(name)) return step.signals.get(name) ?? null;
  throw invalidInput(`Tasks of type "${definition.name}" wait for no signal "${name}"`, [
    { field: 'name', message: 'is not a signal of this task type' },
  ]);
}

/** Validates a signal's payload against its schema; throws a 400-kind error listing fields. */
export async function validateSignal(
  schema: StandardSchemaV1 | null,
  name: string,
  payload: unknown,
): Promise<unknown> {
  if (!schema) return payload ?? null;
  const result = await schema['~standard'].validate(payload ?? null);
  if (!result.issues) return result.value;
  const details: FieldIssue[] = result.issues.map((issue) => ({ field: fieldOf(issue), message: issue.message }));
  throw invalidInput(
    `Invalid payload for signal "${name}": ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
    details,
  );
}

function fieldOf(issue: StandardSchemaIssue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
  return path.length > 0 ? path.join('.') : '(root)';
}
