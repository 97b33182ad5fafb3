import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  paginateListObjectsV2,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type {
  ByteRange,
  ObjectInfo,
  ObjectStorage,
  PresignGetOptions,
  PutOptions,
  StoredObject,
  UploadLayout,
  UploadLayoutOptions,
} from '../../ports';
import { fitToRange } from './byte-window';
import { ObjectKeys } from './object-keys';
import { createS3Client } from './s3-client';
import { isNotFound, noSuchKey } from './s3-errors';
import type { S3StorageOptions } from './s3-storage-options';
import { streamingUpload } from './streaming-upload';
import { UploadSlots } from './upload-slots';

const MIB = 1024 * 1024;
/** S3's floor for every part but the last. */
const MIN_PART_SIZE = 5 * MIB;
/** S3's ceiling on the lifetime of a presigned URL (SigV4): seven days. */
const MAX_PRESIGN_SECONDS = 604_800;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
const OCTET_STREAM = 'application/octet-stream';

/**
 * Object storage on S3 or an S3-compatible server (MinIO, s3rver...),
 * streaming both ways in bounded memory.
 *
 * - `put` is a multipart upload (8 MiB parts, 4 in flight: about 40 MiB per
 *   upload at most, whatever the object's size) that leaves nothing behind
 *   when it fails or is aborted (see {@link streamingUpload}); at most
 *   `maxConcurrentUploads` run at once, the others wait unread.
 * - `get` streams the object, or a byte range of it.
 * - `presignGet` gives a URL that reads the object without the API.
 *
 * Keys are relative paths, validated, under the optional `prefix`.
 * Consider a bucket lifecycle rule that aborts incomplete multipart uploads
 * after a day: the safety net for a process killed in the middle of one.
 */
export class S3Storage implements ObjectStorage {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly presigner: S3Client;
  /** The clients this storage built, and closes in `destroy`. */
  private readonly owned: S3Client[] = [];
  private readonly keys: ObjectKeys;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly slots: UploadSlots;

  /**
   * @param client - an S3 client to use instead of one built from the
   *   options' connection fields; it should set
   *   `requestChecksumCalculation: 'WHEN_REQUIRED'` (see {@link createS3Client}).
   *   `destroy` leaves a client it was given alone.
   */
  constructor(
    private readonly options: S3StorageOptions,
    client?: S3Client,
  ) {
    if (!options.bucket) throw new Error('S3Storage: bucket is required');
    this.bucket = options.bucket;
    this.keys = new ObjectKeys(options.prefix);
    this.partSize = options.partSize ?? 8 * MIB;
    this.queueSize = options.queueSize ?? 4;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < MIN_PART_SIZE) {
      throw new Error(`S3Storage: partSize must be an integer of at least ${MIN_PART_SIZE} bytes (5 MiB)`);
    }
    if (!Number.isSafeInteger(this.queueSize) || this.queueSize < 1) {
      throw new Error('S3Storage: queueSize must be a positive integer');
    }
    this.slots = new UploadSlots(options.maxConcurrentUploads ?? 3);
    this.client = client ?? this.own(createS3Client(options));
    // A URL handed to clients must name the host they reach, and be signed for it.
    this.presigner =
      options.publicEndpoint && options.publicEndpoint !== options.endpoint
        ? this.own(createS3Client(options, options.publicEndpoint))
        : this.client;
  }

  /** `@tus/s3-store` on this bucket and prefix: resumable uploads land where `get` reads them. */
  async uploadLayout(options: UploadLayoutOptions): Promise<UploadLayout> {
    const { s3UploadLayout } = await import('./s3-upload-layout');
    return s3UploadLayout(this.options, options);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    let bucketKey: string;
    try {
      bucketKey = this.keys.object(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    let release: () => void;
    try {
      release = await this.slots.acquire(options.signal);
    } catch (error) {
      body.destroy();
      throw error;
    }
    try {
      const stored = await streamingUpload({
        client: this.client,
        bucket: this.bucket,
        key: bucketKey,
        body,
        contentType: options.contentType,
        signal: options.signal,
        partSize: this.partSize,
        queueSize: this.queueSize,
      });
      return { key, ...stored };
    } finally {
      release();
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const bucketKey = this.keys.object(key);
    if (range && !isByteRange(range)) throw new RangeError(`invalid byte range ${range.start}-${range.end}`);
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: bucketKey,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      const body = toReadable(out.Body);
      return range ? fitToRange(body, range, out.ContentRange) : body;
    } catch (error) {
      if (isNotFound(error)) throw noSuchKey(key, error);
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keys.object(key) }));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? OCTET_STREAM,
        lastModified: out.LastModified?.getTime() ?? 0,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a missing key too: deleting is idempotent.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keys.object(key) }));
  }

  /** Lists a page of up to 1000 keys, deletes them in one request, and goes on until none is left. */
  async deletePrefix(prefix: string): Promise<void> {
    const bucketPrefix = this.keys.prefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: bucketPrefix,
          MaxKeys: DELETE_BATCH,
          ContinuationToken: token,
        }),
      );
      const objects = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (objects.length > 0) {
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
        const failed = out.Errors ?? [];
        if (failed.length > 0) {
          const first = failed[0];
          throw new Error(
            `S3: ${failed.length} object(s) under ${JSON.stringify(prefix)} could not be deleted ` +
              `(${first.Code ?? 'error'}: ${first.Message ?? ''} for ${first.Key ?? '?'})`,
          );
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, Prefix: this.keys.prefix(prefix) },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield {
          key: this.keys.fromBucketKey(object.Key),
          size: object.Size ?? 0,
          // Listings carry no content type; `head` has it.
          contentType: OCTET_STREAM,
          lastModified: object.LastModified?.getTime() ?? 0,
        };
      }
    }
  }

  /** HeadBucket: the bucket exists and the credentials may use it. */
  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** A SigV4 presigned GET, answered with the given `Content-Disposition` and `Content-Type`. */
  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    const { expiresInSeconds } = options;
    if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keys.object(key),
      ...(options.contentDisposition ? { ResponseContentDisposition: options.contentDisposition } : {}),
      ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
    });
    return getSignedUrl(this.presigner, command, { expiresIn: expiresInSeconds });
  }

  /** Closes the connections of the clients this storage built. */
  destroy(): void {
    for (const client of this.owned.splice(0)) client.destroy();
  }

  private own(client: S3Client): S3Client {
    this.owned.push(client);
    return client;
  }
}

function isByteRange({ start, end }: ByteRange): boolean {
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start;
}

/** Node's SDK gives an `IncomingMessage`; other runtimes a web stream. */
function toReadable(body: GetObjectCommandOutput['Body']): Readable {
  if (body instanceof Readable) return body;
  if (!body) return Readable.from([]);
  return Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
}
