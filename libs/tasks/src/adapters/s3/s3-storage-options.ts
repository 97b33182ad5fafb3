/** The region when none is given: what MinIO and most S3-compatible servers expect. */
export const DEFAULT_S3_REGION = 'us-east-1';

/** Where and how to reach an S3 (or S3-compatible: MinIO, s3rver...) bucket. */
export interface S3ConnectionOptions {
  /** Region of the bucket. Default `us-east-1` (what MinIO and most S3-compatible servers expect). */
  region?: string;
  /** Endpoint of an S3-compatible server, e.g. `http://minio:9000`. Unset: AWS S3. */
  endpoint?: string;
  /**
   * Credentials. Both or neither: without them the default AWS chain applies
   * (environment, shared files, instance or task role).
   */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** With temporary credentials. */
  sessionToken?: string;
  /**
   * `https://host/bucket/key` instead of `https://bucket.host/key`. Default:
   * true when `endpoint` is set (MinIO and most compatible servers need it),
   * false for AWS.
   */
  forcePathStyle?: boolean;
}

/** Options of {@link S3Storage}. */
export interface S3StorageOptions extends S3ConnectionOptions {
  /** The bucket. It must exist: the storage never creates it. */
  bucket: string;
  /**
   * Prefix of every key in the bucket, e.g. `stepwise/` to share a bucket;
   * keys of the port are relative to it. Default none.
   */
  prefix?: string;
  /**
   * Endpoint that presigned URLs point at, when clients reach the storage by
   * another address than this process does (e.g. `http://localhost:9000`
   * for a MinIO known as `http://minio:9000` inside a compose network).
   * Default: `endpoint`.
   */
  publicEndpoint?: string;
  /** Part size of multipart uploads, in bytes (S3 minimum: 5 MiB). Default 8 MiB. */
  partSize?: number;
  /**
   * Parts uploaded in parallel by one `put`. Memory per upload is bounded by
   * about `(queueSize + 1) * partSize`. Default 4.
   */
  queueSize?: number;
  /**
   * Uploads (`put`) in flight at once in this storage; the others wait, their
   * source unread. With the defaults the part buffers of a process stay
   * under about `3 * 5 * 8 MiB = 120 MiB` however many clients upload at
   * once. Default 3.
   */
  maxConcurrentUploads?: number;
}
