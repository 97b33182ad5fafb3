import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ResultFile, TaskRecord } from '../model';
import type { ResolvedOptions } from '../core/resolved-options';
import { OBJECT_STORAGE, RESOLVED_OPTIONS } from '../core/tokens';
import type { ByteRange, ObjectStorage } from '../ports';
import { parseRange } from './byte-range';
import { attachmentDisposition } from './content-disposition';
import { ApiError, notFound } from '../web/http-error';
import { assertCompleted } from './result-availability';

const MEDIA_TYPE =
  /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}(\s*;\s*[a-z0-9_-]+=("[^"\\\r\n]*"|[a-z0-9_.-]+))*$/i;

/**
 * `GET /tasks/{id}/download`: streams a completed task's result file from
 * storage, with single-range support, in bounded memory. With
 * `presignDownloads`, also gives the URL that reads the file straight from
 * the storage (`file.presignedUrl` of the result).
 */
@Injectable()
export class ResultDownloadService {
  private readonly logger = new Logger('Stepwise HTTP');

  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    if (options.presignDownloads && !storage.presignGet) {
      this.logger.warn('presignDownloads is set, but the storage cannot presign URLs (S3 can): results will have none');
    }
  }

  /**
   * A presigned URL of a completed task's result file, valid
   * `presignDownloads.expiresInSeconds`, answered with the same
   * `Content-Disposition` and `Content-Type` as the download route; undefined
   * when presigning is off or the storage cannot. A URL that cannot be made
   * is left out (the download route still serves the file), not an error.
   */
  async presignedUrl(task: TaskRecord): Promise<string | undefined> {
    const file = task.resultFile;
    const presign = this.options.presignDownloads;
    if (!file || !presign || !this.storage.presignGet) return undefined;
    try {
      return await this.storage.presignGet(file.key, {
        expiresInSeconds: presign.expiresInSeconds,
        contentDisposition: attachmentDisposition(file.name),
        contentType: contentTypeOf(file),
      });
    } catch (error) {
      this.logger.warn(`no presigned URL for the result of task ${task.id}: ${String(error)}`);
      return undefined;
    }
  }

  /**
   * Answers the download. `onServe` is called once the file is open and its
   * bytes are about to go (not for `HEAD`, a `304` or an error), with the range
   * when it is one.
   */
  async send(
    task: TaskRecord,
    req: Request,
    res: Response,
    onServe?: (range: ByteRange | undefined) => void,
  ): Promise<void> {
    const file = resultFileOf(task);
    // The stored size, not the declared one: Content-Length must be exact.
    const info = await this.storage.head(file.key);
    if (!info) throw notFound(`The result file of task ${task.id} no longer exists`);
    const size = info.size;
    const etag = file.sha256 ? `"${file.sha256}"` : undefined;

    const common: Record<string, string> = {
      'Accept-Ranges': 'bytes',
      'Content-Type': contentTypeOf(file),
      'Content-Disposition': attachmentDisposition(file.name),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-cache',
      ...(etag ? { ETag: etag } : {}),
    };
    if (etag && matchesAny(req.headers['if-none-match'], etag)) {
      setHeaders(res.status(304), common).end();
      return;
    }
    const range = rangeApplies(req, etag) ? parseRange(req.headers.range, size) : ({ kind: 'full' } as const);
    if (range.kind === 'unsatisfiable') {
      throw new ApiError(
        416,
        `Range not satisfiable for a file of ${size} bytes`,
        { size },
        { 'Content-Range': `bytes */${size}` },
      );
    }
    const partial = range.kind === 'partial' ? range.range : undefined;
    const headers = {
      ...common,
      'Content-Length': String(partial ? partial.end - partial.start + 1 : size),
      ...(partial ? { 'Content-Range': `bytes ${partial.start}-${partial.end}/${size}` } : {}),
    };
    if (req.method === 'HEAD') {
      setHeaders(res.status(partial ? 206 : 200), headers).end();
      return;
    }
    // Opened before any header is set: if it fails, the error answer is still clean JSON.
    const body = await this.open(file.key, task.id, partial);
    setHeaders(res.status(partial ? 206 : 200), headers);
    onServe?.(partial);
    try {
      // pipeline destroys the storage stream if the client goes away.
      await pipeline(body, res);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      this.logger.warn(`download of task ${task.id} failed mid-stream: ${String(error)}`);
      if (!res.headersSent) throw error;
    }
  }

  /** A file removed between `head` and `get` (retention, a delete) is a 404, not a 500. */
  private async open(key: string, taskId: string, range?: ByteRange): Promise<Readable> {
    try {
      return await this.storage.get(key, range);
    } catch (error) {
      const e = error as { code?: unknown; name?: unknown };
      if (e.code === 'NoSuchKey' || e.name === 'NoSuchKey' || e.code === 'ENOENT') {
        throw notFound(`The result file of task ${taskId} no longer exists`);
      }
      throw error;
    }
  }
}

/** The file's declared type when it is a well-formed media type (it comes from task code). */
function contentTypeOf(file: ResultFile): string {
  return MEDIA_TYPE.test(file.contentType) ? file.contentType : 'application/octet-stream';
}

/** `setHeader`, not Express's `set`, which would append a charset to the file's own type. */
function setHeaders(res: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  return res;
}

/** 409 until the task completed, 404 when it completed without a file. */
function resultFileOf(task: TaskRecord): ResultFile {
  assertCompleted(task);
  if (!task.resultFile) throw notFound(`Task ${task.id} produced no file`);
  return task.resultFile;
}

function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** `If-Range` with a stale validator (or a date, which we cannot compare strongly) means: send it all. */
function rangeApplies(req: Request, etag: string | undefined): boolean {
  const ifRange: unknown = req.headers['if-range'];
  return ifRange === undefined || (etag !== undefined && typeof ifRange === 'string' && ifRange.trim() === etag);
}
