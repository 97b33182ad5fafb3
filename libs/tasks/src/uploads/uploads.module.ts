import { Inject, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { ResolvedOptions } from '../core/resolved-options';
import { RESOLVED_OPTIONS } from '../core/tokens';
import { corsMiddleware, pathsUnder } from '../web/cors.middleware';
import { uploadProviders } from './upload-providers';
import { UploadsController } from './uploads.controller';

/** Resumable uploads over tus 1.0 at `/uploads/` (when `uploads.resumable` is set; tus loads only then). */
@Module({
  controllers: [UploadsController],
  providers: uploadProviders,
})
export class UploadsModule implements NestModule {
  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions) {}

  /** CORS of `/uploads/` under the shared policy, with the tus headers; tus's own (any origin) are dropped. */
  configure(consumer: MiddlewareConsumer): void {
    if (this.options.cors.enabled) {
      consumer.apply(corsMiddleware(this.options.cors, TUS_CORS_HEADERS)).forRoutes(...pathsUnder('uploads'));
    }
  }
}

/** What tus clients send and read (tus-js-client, Uppy). */
const TUS_CORS_HEADERS = {
  allowed: [
    'Tus-Resumable',
    'Upload-Length',
    'Upload-Metadata',
    'Upload-Offset',
    'Upload-Defer-Length',
    'Upload-Concat',
    'Upload-Checksum',
    'X-HTTP-Method-Override',
  ],
  exposed: [
    'Tus-Resumable',
    'Tus-Version',
    'Tus-Extension',
    'Tus-Max-Size',
    'Upload-Offset',
    'Upload-Length',
    'Upload-Metadata',
    'Upload-Defer-Length',
    'Upload-Concat',
    'Upload-Expires',
  ],
};
