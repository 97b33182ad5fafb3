export * from './redis-upload-locker';
export * from './resumable-uploads';
export * from './upload-layout';
export * from './upload-tokens';
export { UploadsController } from './uploads.controller';
export { uploadProviders } from './upload-providers';
