import type { StandardSchemaIssue, TaskDefinition } from '../definition';
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

function fieldOf(issue: StandardSchemaIssue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
  return path.length > 0 ? path.join('.') : '(root)';
}
