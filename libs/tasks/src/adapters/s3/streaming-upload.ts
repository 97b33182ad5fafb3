import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { abortError } from './s3-errors';

export interface StreamingUploadRequest {
  client: S3Client;
  bucket: string;
  /** The bucket key (prefix applied). */
  key: string;
  body: Readable;
  contentType?: string;
  signal?: AbortSignal;
  partSize: number;
  queueSize: number;
}

/**
 * Streams `body` into one object with `@aws-sdk/lib-storage` (a single
 * `PutObject` up to `partSize`, a multipart upload beyond), measuring size
 * and SHA-256 on the way. Settles only once S3 is left clean:
 *
 * - on success, the object is complete;
 * - when the source fails, the upload fails, or the signal fires, the
 *   multipart upload is aborted (no part is left billed and dangling) and
 *   nothing of this write remains at the key. An object that was there
 *   before stays (S3 replaces an object only when a write completes),
 *   unless the signal fired as the write was completing: then the key is
 *   deleted, as a write that was asked to stop must leave no object.
 *
 * Why not `Upload.abort()` on the signal: in lib-storage 3.x it rejects
 * `done()` at once while the parts in flight carry on, and sends
 * `AbortMultipartUpload` later, in the background; the caller could not
 * know when the bucket is clean, and a single `PutObject` in flight would
 * still land after the rejection. Instead the signal ends the source (the
 * Upload stops reading and aborts the multipart upload itself before
 * rejecting) and cuts the `UploadPart` requests in flight.
 */
export async function streamingUpload(request: StreamingUploadRequest): Promise<{ size: number; sha256: string }> {
  const { client, bucket, key, body, signal } = request;
  if (signal?.aborted) {
    body.destroy();
    throw abortError(signal);
  }
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // The first reason to give up: the source's error, or the abort. It is what `put` rejects with.
  let cause: unknown;
  const feeding = pipeline(body, measure).catch((error: unknown) => {
    cause ??= error;
  });
  const onAbort = () => {
    cause ??= abortError(signal!);
    measure.destroy(cause as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const upload = new Upload({
    client: signal ? partsAbortableBy(client, signal) : client,
    params: { Bucket: bucket, Key: key, Body: measure, ContentType: request.contentType },
    partSize: request.partSize,
    queueSize: request.queueSize,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    // The Upload failed on its own and stopped reading: end the source too, or its producer would
    // wait forever. (When the source failed or the signal fired, `measure` is destroyed already.)
    if (!measure.destroyed) measure.destroy(error as Error);
    await feeding;
    throw cause ?? error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await feeding;
  if (signal?.aborted) {
    // The last write completed as the signal fired: what was asked to stop must leave nothing.
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    throw cause ?? abortError(signal);
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * The client as the Upload sees it: `UploadPart` requests carry the signal,
 * so an abort cuts the parts in flight at once. The other requests run to
 * their end: `CreateMultipartUpload` (its id is needed to abort),
 * `AbortMultipartUpload` itself, and the final `PutObject` or
 * `CompleteMultipartUpload` (then known to have landed, and deleted).
 */
function partsAbortableBy(client: S3Client, signal: AbortSignal): S3Client {
  const send = ((command: unknown, options?: object) =>
    command instanceof UploadPartCommand
      ? client.send(command, { ...options, abortSignal: signal })
      : client.send(command as never, options as never)) as S3Client['send'];
  return new Proxy(client, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property)),
  });
}
