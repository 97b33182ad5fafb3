import type { Readable } from 'node:stream';
import { Compensate, NonRetryableError, Step, Task, type StepContext, type UploadedFile } from '@stepwise/tasks';
import { ZipFile } from 'yazl';
import { z } from 'zod';
import { sanitizeFileName, uniqueNames } from '../shared/file-names';
import { assertOwnFile, uploadedFileSchema } from '../shared/uploaded-file';

/** The ids the tus endpoint gives uploads (UUIDs). */
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const createZipInput = z
  .object({
    /** Multipart parts named `files`, already streamed to storage by the HTTP layer. */
    files: z.array(uploadedFileSchema).max(10_000).optional(),
    /** Ids of finished resumable uploads (`/uploads/`, tus): the last segment of their URL. */
    uploads: z
      .array(z.string().regex(UPLOAD_ID, 'must be the id of a finished upload: the last segment of its /uploads/ URL'))
      .max(10_000)
      .optional()
      .meta({
        title: 'Finished uploads',
        description: 'Ids of resumable uploads (the last segment of their /uploads/ URL), with or instead of files.',
      }),
    outputName: z
      .string()
      .max(255)
      .transform((name) => sanitizeFileName(name, ''))
      .refine((name) => /^.+\.zip$/i.test(name), 'must be a file name ending in .zip')
      .default('archive.zip')
      .meta({ title: 'Archive name', description: 'Ends in .zip; archive.zip when left empty.' }),
  })
  .superRefine((input, ctx) => {
    if (!input.files?.length && !input.uploads?.length) {
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'at least one file is required' });
    }
  })
  // Labels of the dashboard's form, built from the JSON Schema.
  .meta({ title: 'ZIP files', description: 'Uploads files and bundles them into one ZIP archive on a worker.' });

export type CreateZipInput = z.output<typeof createZipInput>;

/** A source file, checked in storage, under the name it gets in the archive. */
export interface ZipSource {
  key: string;
  entryName: string;
  size: number;
  lastModified: number;
}

export interface AcceptedFiles {
  files: ZipSource[];
  totalBytes: number;
}

export interface ZipOutput {
  name: string;
  size: number;
  entries: Array<{ name: string; size: number }>;
}

type Ctx = StepContext<CreateZipInput, { acceptFiles: AcceptedFiles; createZipArchive: ZipOutput }>;

/** Formats whose content is already compressed: stored as is, deflating them only burns CPU. */
const ALREADY_COMPRESSED =
  /\.(zip|gz|tgz|bz2|xz|zst|7z|rar|jpe?g|png|gif|webp|avif|heic|mp3|mp4|m4a|mov|mkv|webm|docx|xlsx|pptx)$/i;

/**
 * The scenario of the design: files uploaded with the submit are zipped by a
 * worker into one archive, served by `GET /tasks/{id}/download`.
 */
@Task({
  name: 'create-zip',
  queue: 'files',
  timeoutMs: 600_000,
  cancellable: true,
  acceptsFiles: true,
  input: createZipInput,
})
export class CreateZipTask {
  /**
   * Runs right after the submit: every file must be in storage with the size
   * that was received; resumable uploads must be finished and the caller's.
   */
  @Step({ order: 1, on: 'api' })
  async acceptFiles(ctx: Ctx): Promise<AcceptedFiles> {
    const uploaded: UploadedFile[] = [];
    for (const file of ctx.input.files ?? []) {
      assertOwnFile(ctx, file);
      uploaded.push(file);
    }
    for (const id of ctx.input.uploads ?? []) {
      // Ownership is the registry's: another owner's upload is as unknown as a made-up id.
      const file = await ctx.uploads.get(id);
      if (!file) throw new NonRetryableError(`upload "${id}" is unknown or not finished`);
      uploaded.push(file);
    }
    const names = uniqueNames(uploaded.map((file) => sanitizeFileName(file.name)));
    const files: ZipSource[] = [];
    for (const [i, file] of uploaded.entries()) {
      const info = await ctx.storage.head(file.key);
      if (!info) throw new NonRetryableError(`file "${file.name}" is missing from storage`);
      if (info.size !== file.size) {
        throw new NonRetryableError(
          `file "${file.name}" has ${info.size} bytes in storage, ${file.size} were received`,
        );
      }
      files.push({ key: file.key, entryName: names[i], size: info.size, lastModified: info.lastModified });
    }
    return { files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
  }

  /** Streams every file through yazl into storage: bounded memory whatever the sizes (ZIP64 when needed). */
  @Step({ order: 2, on: 'worker', retry: { attempts: 3, backoff: 'exponential', delayMs: 500 } })
  async createZipArchive(ctx: Ctx): Promise<ZipOutput> {
    const accepted = ctx.outputs.acceptFiles;
    if (!accepted) throw new NonRetryableError('step acceptFiles has no output');
    const { files, totalBytes } = accepted;
    const name = ctx.input.outputName;
    const key = outputKey(ctx);

    const zip = new ZipFile();
    const output = zip.outputStream as Readable;
    const open = new Set<Readable>();
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      for (const stream of open) stream.destroy();
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    };
    // Whatever fails after `put` settled must not become an unhandled 'error'.
    output.on('error', () => undefined);
    zip.on('error', fail);
    const onAbort = () => fail(ctx.signal.reason ?? new Error('aborted'));
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    let bytesDone = 0;
    let filesDone = 0;
    const report = (i: number, file: ZipSource) =>
      ctx.progress(
        totalBytes > 0 ? bytesDone / totalBytes : filesDone / files.length,
        `file ${i + 1}/${files.length}: ${file.entryName}`,
      );
    files.forEach((file, i) => {
      const options = {
        size: file.size,
        mtime: new Date(file.lastModified),
        compress: !ALREADY_COMPRESSED.test(file.entryName),
      };
      // Lazy: a source is opened only when the archive reaches it, one at a time.
      zip.addReadStreamLazy(file.entryName, options, (callback) => {
        if (failed) return;
        ctx.storage.get(file.key).then(
          (stream) => {
            if (failed) return void stream.destroy();
            open.add(stream);
            stream.on('data', (chunk: Buffer) => {
              bytesDone += chunk.length;
              report(i, file);
            });
            stream.once('end', () => {
              filesDone++;
              report(i, file);
            });
            stream.once('close', () => open.delete(stream));
            stream.once('error', fail);
            callback(null, stream);
          },
          (error: unknown) => callback(error, undefined as never),
        );
      });
    });
    zip.end();

    try {
      const stored = await ctx.storage.put(key, output, { signal: ctx.signal, contentType: 'application/zip' });
      if (failed) throw new Error('archive creation failed');
      ctx.setResultFile({ key, name, size: stored.size, contentType: 'application/zip', sha256: stored.sha256 });
      ctx.progress(1, `${name}: ${files.length} file(s)`);
      return { name, size: stored.size, entries: files.map((f) => ({ name: f.entryName, size: f.size })) };
    } catch (error) {
      fail(error);
      await ctx.storage.delete(key).catch(() => undefined);
      throw error;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Undoes step 2 (cancel or a later failure): the archive goes. */
  @Compensate('createZipArchive')
  async deleteZip(ctx: Ctx): Promise<void> {
    await ctx.storage.delete(outputKey(ctx));
  }
}

function outputKey(ctx: Ctx): string {
  return `${ctx.storagePrefix}output/${ctx.input.outputName}`;
}
