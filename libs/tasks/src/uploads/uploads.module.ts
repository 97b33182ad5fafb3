import { Module } from '@nestjs/common';
import { uploadProviders } from './upload-providers';
import { UploadsController } from './uploads.controller';

/** Resumable uploads over tus 1.0 at `/uploads/` (when `uploads.resumable` is set; tus loads only then). */
@Module({
  controllers: [UploadsController],
  providers: uploadProviders,
})
export class UploadsModule {}
