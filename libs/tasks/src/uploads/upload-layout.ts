import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataStore, KvStore } from '@tus/utils';
import type { S3StorageOptions } from '../adapters/s3/s3-storage-options';
import { DEFAULT_S3_REGION } from '../adapters/s3/s3-storage-options';

/** Uploads live in the same storage as everything else, under this prefix. */
export const UPLOADS_PREFIX = 'uploads/';

/**
 * Where the tus store keeps an upload, seen from both sides: the tus
 * datastore names an upload by its datastore id, the `ObjectStorage` port by
 * a key. The URL carries only the public id (a UUID); the datastore id adds
 * whatever prefix puts the bytes where the port reads them.
 */
export interface UploadLayout {
  datastore: DataStore;
  /** Datastore id of a public upload id. */
  datastoreId(uploadId: string): string;
  /** Public id of a datastore id. */
  uploadId(datastoreId: string): string;
  /** `ObjectStorage` key of the upload's content. */
  contentKey(uploadId: string): string;
  /** Keys of what the datastore writes next to the content (its metadata). */
  sidecarKeys(contentKey: string): string[];
}

export interface UploadLayoutOptions {
  /** Incomplete uploads older than this are deleted by the cleanup. */
  expireAfterMs: number;
  /** S3 storage, when storage is S3; the filesystem under `objectsDir` otherwise. */
  s3?: S3StorageOptions;
  objectsDir: string;
  /** Shared cache of upload metadata (S3 only), for several API instances. */
  cache?: KvStore<never>;
}

/**
 * The tus datastore beside the storage port: `@tus/s3-store` on S3,
 * `@tus/file-store` on disk. tus ships ES modules only: they are loaded here,
 * when resumable uploads are on, never by importing the library (which a host
 * app's Jest could not do, and which would cost every app their load time).
 */
export async function uploadLayout(options: UploadLayoutOptions): Promise<UploadLayout> {
  const contentKey = (uploadId: string) => `${UPLOADS_PREFIX}${uploadId}`;
  if (options.s3) {
    const s3 = options.s3;
    // S3Storage maps key k to `${prefix}k`: the datastore id is that bucket key.
    const idPrefix = `${s3.prefix ? s3.prefix.replace(/\/+$/, '') + '/' : ''}${UPLOADS_PREFIX}`;
    const { accessKeyId, secretAccessKey, sessionToken } = s3;
    const { S3Store } = await import('@tus/s3-store');
    const datastore = new S3Store({
      partSize: 8 * 1024 * 1024,
      // Object tags feed bucket lifecycle rules, which we do not rely on (the cleanup lists
      // incomplete multipart uploads); several S3-compatible servers refuse tagging.
      useTags: false,
      expirationPeriodInMilliseconds: options.expireAfterMs,
      ...(options.cache ? { cache: options.cache } : {}),
      s3ClientConfig: {
        bucket: s3.bucket,
        region: s3.region || DEFAULT_S3_REGION,
        ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
        forcePathStyle: s3.forcePathStyle ?? Boolean(s3.endpoint),
        ...(accessKeyId && secretAccessKey
          ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
          : {}),
        // As for S3Storage: S3-compatible servers would store aws-chunked framing in the objects.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      },
    });
    return {
      datastore,
      datastoreId: (id) => `${idPrefix}${id}`,
      uploadId: (datastoreId) => datastoreId.slice(idPrefix.length),
      contentKey,
      sidecarKeys: (key) => [`${key}.info`, `${key}.part`],
    };
  }
  const directory = join(options.objectsDir, UPLOADS_PREFIX);
  // FileStore creates its directory in the background and throws from the callback if that
  // fails (an uncaught exception): create it here first, synchronously, so that it never has to.
  mkdirSync(directory, { recursive: true });
  const { FileStore } = await import('@tus/file-store');
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: options.expireAfterMs });
  return {
    datastore,
    datastoreId: (id) => id,
    uploadId: (datastoreId) => datastoreId,
    contentKey,
    sidecarKeys: (key) => [`${key}.json`],
  };
}
