export * from './s3-storage';
export * from './s3-storage-options';
export { createS3Client, DEFAULT_S3_REGION } from './s3-client';
export { InvalidObjectKeyError } from './object-keys';
