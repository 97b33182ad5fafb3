import { badRequest } from '../web/http-error';
import { FILES_FIELD, type MultipartPayload } from './multipart-reader';

/** The field whose JSON value is merged into the input. */
export const INPUT_FIELD = 'input';

/**
 * Builds a task's input from a multipart submit: text fields as strings (a
 * repeated one as an array), the JSON object of the `input` field merged over
 * them, and `files` set to the files actually stored, never to anything the
 * client wrote. Built with `Object.fromEntries`, so a field named
 * `__proto__` is data, not a prototype.
 */
export function multipartInput(payload: MultipartPayload): Record<string, unknown> {
  const fields = new Map<string, string[]>();
  for (const [name, value] of payload.fields) fields.set(name, [...(fields.get(name) ?? []), value]);
  const text = [...fields].filter(([name]) => name !== INPUT_FIELD);
  return Object.fromEntries<unknown>([
    ...text.map(([name, values]) => [name, values.length === 1 ? values[0] : values] as const),
    ...Object.entries(parseInputField(fields.get(INPUT_FIELD))),
    [FILES_FIELD, payload.files],
  ]);
}

function parseInputField(values: string[] | undefined): Record<string, unknown> {
  if (!values) return {};
  const invalid = (message: string) =>
    badRequest(`Field "${INPUT_FIELD}" ${message}`, [{ field: INPUT_FIELD, message }]);
  if (values.length > 1) throw invalid('must be sent once');
  let parsed: unknown;
  try {
    parsed = JSON.parse(values[0]);
  } catch {
    throw invalid('must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('must be a JSON object');
  if (Object.hasOwn(parsed, FILES_FIELD)) throw invalid(`must not contain "${FILES_FIELD}": send files as file parts`);
  return parsed as Record<string, unknown>;
}
