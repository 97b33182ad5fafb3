import { UPLOADS_PREFIX, type UploadLayout, type UploadLayoutOptions } from '../../ports';
import { FEATURE_PACKAGES, loadFeature } from '../optional-packages';
import { DEFAULT_S3_REGION, type S3StorageOptions } from './s3-storage-options';

/**
 * `@tus/s3-store` on the bucket and prefix of an `S3Storage`. tus ships ES
 * modules only: it is loaded here, when resumable uploads are on, never by
 * importing the library.
 */
export async function s3UploadLayout(s3: S3StorageOptions, options: UploadLayoutOptions): Promise<UploadLayout> {
  // S3Storage maps key k to `${prefix}k`: the datastore id is that bucket key.
  const idPrefix = `${s3.prefix ? s3.prefix.replace(/\/+$/, '') + '/' : ''}${UPLOADS_PREFIX}`;
  const { accessKeyId, secretAccessKey, sessionToken } = s3;
  const { S3Store } = await loadFeature(
    'resumable uploads on S3',
    FEATURE_PACKAGES.resumableUploadsOnS3,
    () => import('@tus/s3-store'),
  );
  const datastore = new S3Store({
    partSize: 8 * 1024 * 1024,
    // Object tags feed bucket lifecycle rules, which we do not rely on (the cleanup lists
    // incomplete multipart uploads); several S3-compatible servers refuse tagging.
    useTags: false,
    expirationPeriodInMilliseconds: options.expireAfterMs,
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
    contentKey: (uploadId) => `${UPLOADS_PREFIX}${uploadId}`,
    sidecarKeys: (key) => [`${key}.info`, `${key}.part`],
  };
}
