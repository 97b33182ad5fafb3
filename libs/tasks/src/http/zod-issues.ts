import type { z } from 'zod';
import type { FieldIssueView } from '../web/task-view';

/** zod issues in the shape the engine uses for invalid input: `{ field, message }`. */
export function fieldIssues(error: z.ZodError): FieldIssueView[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
