import { NonRetryableError, type StepContext, type UploadedFile } from '@stepwise/tasks';
import { z } from 'zod';

/**
 * A file received with a multipart submit (a part named `files`), already in
 * object storage: what the HTTP layer puts in `input.files`.
 */
export const uploadedFileSchema = z.object({
  key: z.string().min(1),
  name: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  contentType: z.string(),
}) satisfies z.ZodType<UploadedFile>;

/**
 * Refuses a file that does not belong to the task. Uploads of a submit are
 * stored under the task's own prefix, so a JSON input naming any other key
 * (another task's upload, another owner's result) is an attempt to read
 * something the caller was never given.
 */
export function assertOwnFile(ctx: Pick<StepContext, 'storagePrefix'>, file: UploadedFile): void {
  if (!file.key.startsWith(ctx.storagePrefix) || file.key.split('/').includes('..')) {
    throw new NonRetryableError(`file "${file.name}" was not uploaded with this task`);
  }
}
