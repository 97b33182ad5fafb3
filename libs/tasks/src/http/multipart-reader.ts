import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import busboy, { type Busboy, type FieldInfo, type FileInfo } from 'busboy';
import type { UploadedFile } from '../model';
import type { UploadLimits } from '../core/task-module-options';
import type { ObjectStorage } from '../ports';
import { sanitizeFileName } from '../web/file-name';
import { guardedListeners } from '../web/guarded-listeners';
import { badRequest, clip, payloadTooLarge, unsupportedMediaType } from '../web/http-error';
import { MAX_JSON_BYTES } from './request-body';

/** The non-file fields (in arrival order; a repeated name gives several values) and the stored files. */
export interface MultipartPayload {
  fields: Array<[name: string, value: string]>;
  files: UploadedFile[];
}

export interface MultipartOptions {
  /** Where files go: `tasks/{id}/`. Each is stored as `{prefix}input/{index}-{name}`. */
  prefix: string;
  limits: UploadLimits;
}

const clientAborted = () => badRequest('The client aborted the request');

/** The only part name that carries files. */
export const FILES_FIELD = 'files';
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}$/i;

/**
 * Reads a `multipart/form-data` request, streaming each `files` part into
 * object storage as it arrives: nothing is buffered whole, nothing touches a
 * temporary file.
 *
 * On any failure (a limit, a malformed body, a client abort, a storage
 * error) it stops reading, aborts the uploads in flight, waits for them to
 * settle and rejects. The caller then deletes the prefix, knowing no write
 * is still running. The rest of the request body is drained, not left
 * unread: the client gets the error answer instead of a stalled socket.
 */
export function readMultipart(
  req: IncomingMessage,
  storage: ObjectStorage,
  options: MultipartOptions,
): Promise<MultipartPayload> {
  return new MultipartReader(req, storage, options).read();
}

class MultipartReader {
  private readonly fields: Array<[string, string]> = [];
  private readonly files: UploadedFile[] = [];
  private readonly uploads: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private failure: unknown = null;
  private fileCount = 0;
  private totalBytes = 0;
  private parser?: Busboy;
  private settle: () => void = () => undefined;
  // Every listener below runs inside an emit() of busboy, a part or the socket: a throw there
  // would end the process, so each one funnels into fail(), the request's error path.
  private readonly listeners = guardedListeners((error) => this.fail(error));

  constructor(
    private readonly req: IncomingMessage,
    private readonly storage: ObjectStorage,
    private readonly options: MultipartOptions,
  ) {}

  async read(): Promise<MultipartPayload> {
    // Settles when the parser is done, or at the first failure.
    await new Promise<void>((resolve) => {
      this.settle = resolve;
      this.start();
    });
    // Even after a failure: the caller's cleanup must not race a write still landing.
    await Promise.allSettled(this.uploads);
    if (this.failure) throw this.failure;
    return { fields: this.fields, files: this.files };
  }

  private start(): void {
    const { limits } = this.options;
    // Parts would be stored still encoded: refuse what we do not decode (RFC 7694: 415).
    const encoding = this.req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      return this.fail(
        unsupportedMediaType(`A multipart body must not have a Content-Encoding (got "${clip(encoding)}")`),
      );
    }
    // A declared length past every limit is refused before a byte is read. The
    // allowance covers the fields and the part headers around the files.
    const declared = Number(this.req.headers['content-length']);
    const allowance = limits.maxFields * MAX_JSON_BYTES + 1024 * 1024;
    if (Number.isFinite(declared) && declared > limits.maxTotalSize + allowance) {
      return this.fail(payloadTooLarge(`The files of one request may total at most ${limits.maxTotalSize} bytes`));
    }
    try {
      this.parser = busboy({
        headers: this.req.headers,
        // Browsers send raw UTF-8 names; busboy's default (latin1) would garble them.
        defParamCharset: 'utf8',
        limits: {
          fileSize: limits.maxFileSize,
          files: limits.maxFiles,
          fields: limits.maxFields,
          fieldNameSize: 200,
          // As for a JSON body: bounds what the text fields can hold in memory.
          fieldSize: MAX_JSON_BYTES,
        },
      });
    } catch (error) {
      // No or a bad boundary: busboy refuses synchronously.
      return this.fail(badRequest(`Malformed multipart request: ${(error as Error).message}`));
    }
    const parser = this.parser;
    const { on } = this.listeners;
    on(parser, 'file', (name: string | undefined, stream: Readable, info: FileInfo) => this.onFile(name, stream, info));
    on(parser, 'field', (name: string | undefined, value: string, info: FieldInfo) => this.onField(name, value, info));
    on(parser, 'filesLimit', () => this.fail(payloadTooLarge(`At most ${limits.maxFiles} files per request`)));
    on(parser, 'fieldsLimit', () => this.fail(payloadTooLarge(`At most ${limits.maxFields} fields per request`)));
    on(parser, 'error', (error: Error) => this.fail(badRequest(`Malformed multipart body: ${error.message}`)));
    on(parser, 'close', () => this.settle());
    // An abort is the client's doing, not a backend's: its ECONNRESET must not read as a 503.
    on(this.req, 'error', () => this.fail(clientAborted()));
    on(this.req, 'close', () => {
      if (!this.req.complete) this.fail(clientAborted());
    });
    this.req.pipe(parser);
  }

  /** `field` is undefined when the part's Content-Disposition names no field at all. */
  private onFile(field: string | undefined, stream: Readable, info: FileInfo): void {
    const { on, once } = this.listeners;
    // The parser destroys a part with an error on a truncated body, possibly before the storage
    // has attached its own listeners (it may await a mkdir first). The parser reports the same
    // error on itself, where fail() handles it; here it only must not go unhandled.
    on(stream, 'error', () => undefined);
    if (this.failure) return void stream.resume();
    if (field !== FILES_FIELD) {
      stream.resume();
      const named = field === undefined ? 'a part without a name' : `"${clip(field)}"`;
      return this.fail(badRequest(`File parts must be named "${FILES_FIELD}", not ${named}`));
    }
    // An empty file input of a browser form: nothing was chosen.
    if (info.filename === '') return void stream.resume();

    const index = this.fileCount++;
    const name = sanitizeFileName(info.filename ?? 'file');
    const key = `${this.options.prefix}input/${index}-${name}`;
    const contentType = MEDIA_TYPE.test(info.mimeType) ? info.mimeType.toLowerCase() : 'application/octet-stream';
    once(stream, 'limit', () =>
      this.fail(payloadTooLarge(`File "${name}" exceeds the limit of ${this.options.limits.maxFileSize} bytes`)),
    );
    const upload = this.storage
      .put(key, this.metered(stream), { contentType, signal: this.abort.signal })
      .then((stored) => {
        this.files[index] = { key, name, size: stored.size, sha256: stored.sha256, contentType };
      })
      .catch((error: unknown) => {
        // Keep busboy moving if the storage gave up before reading the part.
        stream.resume();
        this.fail(error);
      });
    this.uploads.push(upload);
  }

  /** The part, counted against the request's total as it flows (a pipe: it keeps the back-pressure). */
  private metered(stream: Readable): Readable {
    const { maxTotalSize } = this.options.limits;
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.totalBytes += chunk.length;
        if (this.totalBytes <= maxTotalSize) return done(null, chunk);
        const error = payloadTooLarge(`The files of one request may total at most ${maxTotalSize} bytes`);
        this.fail(error);
        done(error);
      },
    });
    // As for the part itself: failures reach fail() through the parser; here they must not go unhandled.
    const { on } = this.listeners;
    on(meter, 'error', () => undefined);
    on(stream, 'error', (error: Error) => meter.destroy(error));
    return stream.pipe(meter);
  }

  private onField(name: string | undefined, value: string, info: FieldInfo): void {
    if (this.failure) return;
    if (name === undefined) return this.fail(badRequest('Every form field needs a name'));
    if (info.nameTruncated || info.valueTruncated) {
      return this.fail(payloadTooLarge(`Field "${clip(name)}" is too large`));
    }
    if (name === FILES_FIELD) return this.fail(badRequest(`"${FILES_FIELD}" must be sent as file parts`));
    this.fields.push([name, value]);
  }

  /** The first failure wins; later ones (our own aborts among them) are consequences. */
  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error;
    this.abort.abort(error);
    if (this.parser) this.req.unpipe(this.parser);
    this.req.resume();
    this.settle();
  }
}
