/** `@stepwise/tasks/s3`: the S3 storage adapter (needs `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`). */
export * from './adapters/s3';
