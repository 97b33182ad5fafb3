import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';

type S3rverContext = S3rver.Context;

/** One request as the server received it. */
export interface S3Request {
  method: string;
  /** Path-style: `/bucket/key`, still percent-encoded. */
  path: string;
  query: Record<string, string | string[] | undefined>;
  /** The status answered, once answered. */
  status?: number;
}

/**
 * A fault to inject into the next `times` requests that match: a delay of
 * `delayMs`, then the S3 error `code` with `status`. With a delay and no
 * status, the request then goes on (unless the client gave up meanwhile).
 */
export interface S3Fault {
  match: (request: S3Request) => boolean;
  times: number;
  delayMs?: number;
  /** Default 500, unless only a delay is asked for. */
  status?: number;
  /** Default `InternalError`. */
  code?: string;
}

/** A multipart upload started and neither completed nor aborted. */
export interface PendingMultipartUpload {
  key: string;
  uploadId: string;
}

/** Where s3rver 3.x keeps the parts of unfinished multipart uploads, under the bucket's directory. */
const UPLOADS_DIR = '._S3rver_uploads';

/**
 * An S3-protocol server for tests: s3rver (an npm package), in-process, on a
 * free loopback port, storing into a temp dir, with one bucket created.
 *
 * Where s3rver 3.7 falls short of S3, the harness answers in front of it,
 * over s3rver's own state, so that adapters run unchanged:
 * - `AbortMultipartUpload` (s3rver answers 405) and `ListMultipartUploads`
 *   (501), over its on-disk unfinished uploads
 *   (`{bucket}/._S3rver_uploads/{uploadId}/`): an adapter's abort behaves as
 *   on S3, and "no multipart upload left" can be asserted through the API;
 * - `ListObjectsV2` pages: s3rver makes its continuation tokens with DES,
 *   which Node 17+ (OpenSSL 3) no longer has, so any listing of more than
 *   one page is a 500; the harness lists through s3rver's store instead;
 * - `DeleteObjects`: s3rver deletes the keys in parallel, each deletion then
 *   removing the directories it emptied, and they race (a sporadic error
 *   when a batch empties a directory); the harness deletes them one by one;
 * - `UploadPart`: s3rver writes a part in place as it arrives, and keeps what
 *   arrived of a request the client cut, even after the upload was aborted;
 *   the harness stores a part only once received whole, and only into an
 *   upload that still exists (404 `NoSuchUpload` otherwise), as S3 does.
 *
 * It also records every request and can inject faults.
 */
export class S3Server {
  readonly bucket: string;
  readonly accessKeyId = 'S3RVER';
  readonly secretAccessKey = 'S3RVER';
  readonly region = 'us-east-1';
  /** Every request received, in order. */
  readonly requests: S3Request[] = [];
  directory = '';
  port = 0;
  private server: S3rver | undefined;
  private faults: S3Fault[] = [];

  constructor(bucket = 'stepwise-test') {
    this.bucket = bucket;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connection options for `S3Storage` (and the `s3` option of `TaskModule`). */
  get storageOptions() {
    return {
      bucket: this.bucket,
      region: this.region,
      endpoint: this.endpoint,
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.secretAccessKey,
      forcePathStyle: true,
    };
  }

  /** The same as environment variables of the apps. */
  get env(): Record<string, string> {
    return {
      S3_ENDPOINT: this.endpoint,
      S3_REGION: this.region,
      S3_BUCKET: this.bucket,
      S3_ACCESS_KEY_ID: this.accessKeyId,
      S3_SECRET_ACCESS_KEY: this.secretAccessKey,
      S3_FORCE_PATH_STYLE: '1',
    };
  }

  async start(): Promise<this> {
    this.directory = mkdtempSync(join(tmpdir(), 'stepwise-s3-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: this.directory,
      configureBuckets: [{ name: this.bucket }],
    });
    // Koa composes its middleware when it starts listening: these run before s3rver's router.
    server.middleware.unshift(
      (ctx, next) => this.record(ctx, next),
      (ctx, next) => this.injectFault(ctx, next),
      (ctx, next) => this.missingOperations(ctx, next),
    );
    const { port } = await server.run();
    this.server = server;
    this.port = port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server?.httpServer) {
      // Keep-alive sockets of the SDK would hold `close` open.
      server.httpServer.closeAllConnections();
      await server.close();
    }
    if (this.directory) await rm(this.directory, { recursive: true, force: true });
  }

  /** Makes the next matching requests fail (e.g. a 503 `SlowDown`, which the SDK retries). */
  fail(fault: S3Fault): void {
    this.faults.push(fault);
  }

  /** Forgets the faults not injected yet. */
  clearFaults(): void {
    this.faults = [];
  }

  /** Multipart uploads started and neither completed nor aborted, read from s3rver's directory. */
  async pendingMultipartUploads(): Promise<PendingMultipartUpload[]> {
    const dir = join(this.directory, this.bucket, UPLOADS_DIR);
    const ids = await readdir(dir).catch(() => [] as string[]);
    return Promise.all(
      ids.map(async (uploadId) => ({ uploadId, key: await readFile(join(dir, uploadId, 'key'), 'utf8') })),
    );
  }

  /** Part files (whole, or still arriving) left on disk by unfinished multipart uploads. */
  async leftoverPartFiles(): Promise<string[]> {
    const dir = join(this.directory, this.bucket, UPLOADS_DIR);
    const ids = await readdir(dir).catch(() => [] as string[]);
    const files = await Promise.all(
      ids.map(async (id) => (await readdir(join(dir, id)).catch(() => [] as string[])).map((f) => `${id}/${f}`)),
    );
    return files.flat().filter((f) => /\/\d+(\.[0-9a-f]+\.receiving)?$/.test(f));
  }

  private async record(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
    const request: S3Request = { method: ctx.method, path: ctx.path, query: { ...ctx.query } };
    this.requests.push(request);
    try {
      await next();
    } finally {
      request.status = ctx.status;
    }
  }

  private async injectFault(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
    const request = { method: ctx.method, path: ctx.path, query: ctx.query };
    const fault = this.faults.find((f) => f.times > 0 && f.match(request));
    if (!fault) return next();
    fault.times--;
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.delayMs && fault.status === undefined) {
      // The client gave up meanwhile: as on S3, the request has no effect.
      if (ctx.req.destroyed) return;
      return next();
    }
    // Read the body first: answering early would reset a client still sending.
    ctx.req.resume();
    if (!ctx.req.complete) await once(ctx.req, 'end');
    this.error(ctx, fault.status ?? 500, fault.code ?? 'InternalError', 'Injected by the test harness');
  }

  /** What s3rver lacks: AbortMultipartUpload, ListMultipartUploads, ListParts, ListObjectsV2 past one page. */
  private async missingOperations(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
    const segments = ctx.path.split('/').filter(Boolean);
    if (segments[0] !== this.bucket) return next();
    const uploads = join(this.directory, this.bucket, UPLOADS_DIR);
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && segments.length > 1 && typeof uploadId === 'string') {
      const dir = join(uploads, uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => null))) {
        return this.error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && segments.length === 1 && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const pending = (await this.pendingMultipartUploads()).filter((u) => u.key.startsWith(prefix));
      const entries = pending
        .map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.uploadId}</UploadId></Upload>`)
        .join('');
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(this.bucket)}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries}` +
        `</ListMultipartUploadsResult>`;
      return;
    }
    if (ctx.method === 'GET' && segments.length > 1 && typeof uploadId === 'string') {
      return this.listParts(ctx, segments.slice(1).join('/'), uploadId);
    }
    if (ctx.method === 'GET' && segments.length === 1 && ctx.query['list-type'] === '2') {
      return this.listObjectsV2(ctx);
    }
    if (ctx.method === 'POST' && segments.length === 1 && 'delete' in ctx.query) {
      return this.deleteObjects(ctx);
    }
    const partNumber = ctx.query.partNumber;
    if (ctx.method === 'PUT' && typeof uploadId === 'string' && typeof partNumber === 'string') {
      if (!('x-amz-copy-source' in ctx.headers)) return this.uploadPart(ctx, uploadId, partNumber);
    }
    return next();
  }

  /** ListParts (tus resumes from it): the whole parts received so far, with their MD5 ETags. */
  private async listParts(ctx: S3rverContext, key: string, uploadId: string): Promise<void> {
    const dir = join(this.directory, this.bucket, UPLOADS_DIR, uploadId);
    if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => null))) {
      return this.error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    }
    const numbers = (await readdir(dir))
      .filter((f) => /^\d+$/.test(f))
      .map(Number)
      .sort((a, b) => a - b);
    const parts: string[] = [];
    for (const n of numbers) {
      const file = join(dir, String(n));
      const md5 = createHash('md5');
      for await (const chunk of createReadStream(file)) md5.update(chunk as Buffer);
      const info = await stat(file);
      parts.push(
        `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified>` +
          `<ETag>"${md5.digest('hex')}"</ETag><Size>${info.size}</Size></Part>`,
      );
    }
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Bucket>${xml(this.bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId>` +
      `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
      `<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
  }

  /** UploadPart, stored whole or not at all, and only into an upload not aborted meanwhile. */
  private async uploadPart(ctx: S3rverContext, uploadId: string, partNumber: string): Promise<void> {
    const dir = join(this.directory, this.bucket, UPLOADS_DIR, uploadId);
    const noSuchUpload = () => this.error(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    if (!/^[0-9a-f]+$/.test(uploadId) || !/^\d{1,5}$/.test(partNumber) || !(await stat(dir).catch(() => null))) {
      ctx.req.resume();
      return noSuchUpload();
    }
    const temp = join(dir, `${partNumber}.${randomBytes(4).toString('hex')}.receiving`);
    const md5 = createHash('md5');
    try {
      await pipeline(
        ctx.req,
        tap((chunk) => md5.update(chunk)),
        createWriteStream(temp),
      );
    } catch {
      // The client cut the request: nothing is stored, and nobody waits for an answer.
      await rm(temp, { force: true });
      return;
    }
    const etag = md5.digest('hex');
    try {
      await writeFile(join(dir, `${partNumber}.md5`), etag);
      await rename(temp, join(dir, partNumber));
    } catch {
      // Aborted while the part was arriving.
      await rm(temp, { force: true });
      return noSuchUpload();
    }
    ctx.set('ETag', `"${etag}"`);
    ctx.status = 200;
    ctx.body = '';
  }

  /** DeleteObjects, one key after the other. */
  private async deleteObjects(ctx: S3rverContext): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unxml(m[1]));
    const store = this.server!.store;
    for (const key of keys) {
      if (await store.existsObject(this.bucket, key)) await store.deleteObject(this.bucket, key);
    }
    const quiet = /<Quiet>true<\/Quiet>/.test(body);
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      (quiet ? '' : keys.map((k) => `<Deleted><Key>${xml(k)}</Key></Deleted>`).join('')) +
      `</DeleteResult>`;
  }

  /** ListObjectsV2 with opaque continuation tokens (the last key listed, base64url). */
  private async listObjectsV2(ctx: S3rverContext): Promise<void> {
    const text = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined);
    const token = text('continuation-token');
    const prefix = text('prefix') ?? '';
    const delimiter = text('delimiter');
    const maxKeys = Math.min(1000, Number(text('max-keys') ?? 1000));
    const startAfter = token ? Buffer.from(token, 'base64url').toString() : text('start-after');
    const result = await this.server!.store.listObjects(this.bucket, { prefix, delimiter, startAfter, maxKeys });
    const last = result.objects.at(-1)?.key;
    const contents = result.objects
      .map(
        (o) =>
          `<Contents><Key>${xml(o.key)}</Key><LastModified>${o.lastModifiedDate.toISOString()}</LastModified>` +
          `<ETag>${xml(o.metadata.etag ?? '')}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const prefixes = result.commonPrefixes.map((p) => `<CommonPrefixes><Prefix>${xml(p)}</Prefix></CommonPrefixes>`);
    ctx.type = 'application/xml';
    ctx.body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xml(this.bucket)}</Name><Prefix>${xml(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys>` +
      `<KeyCount>${result.objects.length}</KeyCount><IsTruncated>${result.isTruncated}</IsTruncated>` +
      (token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '') +
      (result.isTruncated && last
        ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
        : '') +
      contents +
      prefixes.join('') +
      `</ListBucketResult>`;
  }

  private error(ctx: S3rverContext, status: number, code: string, message: string): void {
    ctx.status = status;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;
  }
}

/** A pass-through stream that shows each chunk to `see`. */
function tap(see: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      see(chunk);
      done(null, chunk);
    },
  });
}

function xml(text: string): string {
  return text.replace(/[<>&'"\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unxml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? entity;
  });
}
