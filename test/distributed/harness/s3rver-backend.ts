import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import type { S3Backend } from './s3-server';
import { s3ErrorXml, unxml, xml } from './s3-xml';

type S3rverContext = S3rver.Context;

/** Where s3rver 3.x keeps the parts of unfinished multipart uploads, under the bucket's directory. */
const UPLOADS_DIR = '._S3rver_uploads';

/**
 * s3rver (an npm package), in this process, on a free loopback port, storing
 * into a temp dir: the fallback where moto is not installed.
 *
 * Where s3rver 3.7 falls short of S3, the harness answers in front of it,
 * over s3rver's own state, so that adapters run unchanged:
 * - `AbortMultipartUpload` (s3rver answers 405), `ListMultipartUploads` (501)
 *   and `ListParts` (tus resumes from it), over its on-disk unfinished uploads
 *   (`{bucket}/._S3rver_uploads/{uploadId}/`);
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
 */
export async function startS3rver(bucket: string): Promise<S3Backend> {
  const directory = mkdtempSync(join(tmpdir(), 'stepwise-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const patches = new S3rverPatches(server, directory, bucket);
  // Koa composes its middleware when it starts listening: this runs before s3rver's router.
  server.middleware.unshift((ctx, next) => patches.handle(ctx, next));
  const { port } = await server.run();
  return {
    name: 's3rver',
    port,
    pid: process.pid,
    leftoverParts: () => patches.partFiles(),
    async stop() {
      if (server.httpServer) {
        // Keep-alive sockets would hold `close` open.
        server.httpServer.closeAllConnections();
        await server.close();
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

class S3rverPatches {
  constructor(
    private readonly server: S3rver,
    private readonly directory: string,
    private readonly bucket: string,
  ) {}

  private get uploads(): string {
    return join(this.directory, this.bucket, UPLOADS_DIR);
  }

  /** Part files (whole, or still arriving) left on disk by unfinished multipart uploads. */
  async partFiles(): Promise<string[]> {
    const ids = await readdir(this.uploads).catch(() => [] as string[]);
    const files = await Promise.all(
      ids.map(async (id) =>
        (await readdir(join(this.uploads, id)).catch(() => [] as string[])).map((f) => `${id}/${f}`),
      ),
    );
    return files.flat().filter((f) => /\/\d+(\.[0-9a-f]+\.receiving)?$/.test(f));
  }

  /** What s3rver lacks: AbortMultipartUpload, ListMultipartUploads, ListParts, ListObjectsV2 past one page. */
  async handle(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
    const segments = ctx.path.split('/').filter(Boolean);
    if (segments[0] !== this.bucket) return next();
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && segments.length > 1 && typeof uploadId === 'string') {
      const dir = join(this.uploads, uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => null))) return this.noSuchUpload(ctx);
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && segments.length === 1 && 'uploads' in ctx.query) return this.listUploads(ctx);
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

  private async listUploads(ctx: S3rverContext): Promise<void> {
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const ids = await readdir(this.uploads).catch(() => [] as string[]);
    const pending = await Promise.all(
      ids.map(async (uploadId) => ({ uploadId, key: await readFile(join(this.uploads, uploadId, 'key'), 'utf8') })),
    );
    const entries = pending
      .filter((u) => u.key.startsWith(prefix))
      .map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.uploadId}</UploadId></Upload>`)
      .join('');
    this.xmlBody(
      ctx,
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(this.bucket)}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries}` +
        `</ListMultipartUploadsResult>`,
    );
  }

  /** ListParts: the whole parts received so far, with their MD5 ETags. */
  private async listParts(ctx: S3rverContext, key: string, uploadId: string): Promise<void> {
    const dir = join(this.uploads, uploadId);
    if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => null))) return this.noSuchUpload(ctx);
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
    this.xmlBody(
      ctx,
      `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(this.bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId>` +
        `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
        `<MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
    );
  }

  /** UploadPart, stored whole or not at all, and only into an upload not aborted meanwhile. */
  private async uploadPart(ctx: S3rverContext, uploadId: string, partNumber: string): Promise<void> {
    const dir = join(this.uploads, uploadId);
    if (!/^[0-9a-f]+$/.test(uploadId) || !/^\d{1,5}$/.test(partNumber) || !(await stat(dir).catch(() => null))) {
      ctx.req.resume();
      return this.noSuchUpload(ctx);
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
      return this.noSuchUpload(ctx);
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
    const store = this.server.store;
    for (const key of keys) {
      if (await store.existsObject(this.bucket, key)) await store.deleteObject(this.bucket, key);
    }
    const quiet = /<Quiet>true<\/Quiet>/.test(body);
    this.xmlBody(
      ctx,
      `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        (quiet ? '' : keys.map((k) => `<Deleted><Key>${xml(k)}</Key></Deleted>`).join('')) +
        `</DeleteResult>`,
    );
  }

  /** ListObjectsV2 with opaque continuation tokens (the last key listed, base64url). */
  private async listObjectsV2(ctx: S3rverContext): Promise<void> {
    const text = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined);
    const token = text('continuation-token');
    const prefix = text('prefix') ?? '';
    const delimiter = text('delimiter');
    const maxKeys = Math.min(1000, Number(text('max-keys') ?? 1000));
    const startAfter = token ? Buffer.from(token, 'base64url').toString() : text('start-after');
    const result = await this.server.store.listObjects(this.bucket, { prefix, delimiter, startAfter, maxKeys });
    const last = result.objects.at(-1)?.key;
    const contents = result.objects
      .map(
        (o) =>
          `<Contents><Key>${xml(o.key)}</Key><LastModified>${o.lastModifiedDate.toISOString()}</LastModified>` +
          `<ETag>${xml(o.metadata.etag ?? '')}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('');
    const prefixes = result.commonPrefixes.map((p) => `<CommonPrefixes><Prefix>${xml(p)}</Prefix></CommonPrefixes>`);
    this.xmlBody(
      ctx,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${xml(this.bucket)}</Name><Prefix>${xml(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys>` +
        `<KeyCount>${result.objects.length}</KeyCount><IsTruncated>${result.isTruncated}</IsTruncated>` +
        (token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '') +
        (result.isTruncated && last
          ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>`
          : '') +
        contents +
        prefixes.join('') +
        `</ListBucketResult>`,
    );
  }

  private xmlBody(ctx: S3rverContext, body: string): void {
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  }

  private noSuchUpload(ctx: S3rverContext): void {
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body = s3ErrorXml('NoSuchUpload', 'The specified upload does not exist.');
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
