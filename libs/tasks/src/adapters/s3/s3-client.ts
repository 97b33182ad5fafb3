import { S3Client } from '@aws-sdk/client-s3';
import type { S3ConnectionOptions } from './s3-storage-options';
import { DEFAULT_S3_REGION } from './s3-storage-options';

export { DEFAULT_S3_REGION };

/**
 * An S3 client fit for AWS S3 and S3-compatible servers alike.
 *
 * Checksums are computed and validated only when an operation requires them
 * (`WHEN_REQUIRED`). With the SDK's default since 3.729 (`WHEN_SUPPORTED`),
 * a streamed body goes out with `aws-chunked` framing and a trailing CRC32:
 * s3rver, and some older MinIO releases, store that framing inside the
 * object, silently corrupting it. What remains: TLS protects the bytes in
 * transit, and `put` returns the SHA-256 it computed while streaming.
 *
 * @param endpoint - overrides `options.endpoint` (the public endpoint of presigned URLs).
 */
export function createS3Client(options: S3ConnectionOptions, endpoint = options.endpoint): S3Client {
  const { accessKeyId, secretAccessKey, sessionToken } = options;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error('S3: accessKeyId and secretAccessKey go together (give both, or neither for the AWS chain)');
  }
  return new S3Client({
    region: options.region || DEFAULT_S3_REGION,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
