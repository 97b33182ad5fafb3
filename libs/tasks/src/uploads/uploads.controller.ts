import { All, Controller, Inject, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError, notFound } from '../web/http-error';
import { RateLimited } from '../web/rate-limit.guard';
import { requestCaller } from '../web/resolve-owner.pipe';
import { TaskExceptionFilter } from '../web/task-exception.filter';
import { withoutForeignCorsHeaders } from '../web/cors.middleware';
import type { OwnerResolver } from '../core/owner-resolver';
import { OWNER_RESOLVER } from '../core/tokens';
import type { ResumableUploads } from './resumable-uploads';
import { RESUMABLE_UPLOADS } from './upload-tokens';

/**
 * `/uploads/`: the tus 1.0 protocol (creation, creation-with-upload,
 * termination, expiration), served by `@tus/server` with the owner of the
 * request attached. Finished uploads are answered from the registry: HEAD
 * (their offset is their length) and DELETE (their content goes once no
 * other upload shares it).
 */
@ApiExcludeController() // tus has its own protocol and clients (tus-js-client, Uppy)
@UseFilters(TaskExceptionFilter)
@Controller('uploads')
@RateLimited('upload')
export class UploadsController {
  constructor(
    @Inject(RESUMABLE_UPLOADS) private readonly uploads: ResumableUploads | null,
    @Inject(OWNER_RESOLVER) private readonly owners: OwnerResolver,
  ) {}

  @All()
  async collection(@Req() req: Request, @Res() res: Response): Promise<void> {
    const uploads = this.enabled();
    withoutForeignCorsHeaders(res);
    // CORS preflight carries no credentials: answer it before resolving an owner.
    const owner = req.method === 'OPTIONS' ? '' : await this.owner(req);
    await uploads.handle(req, res, owner);
  }

  @All(':id')
  async one(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const uploads = this.enabled();
    // tus answers any origin: only the module's CORS policy (its middleware) speaks for Stepwise.
    withoutForeignCorsHeaders(res);
    if (req.method === 'OPTIONS') return uploads.handle(req, res, '');
    if (req.method === 'GET') throw new ApiError(405, 'uploads are read through the tasks that use them');
    const owner = await this.owner(req);
    if (req.method === 'HEAD') {
      const finished = await uploads.finished(id, owner);
      if (finished) {
        res
          .status(200)
          .set({
            'Tus-Resumable': '1.0.0',
            'Upload-Offset': String(finished.size),
            'Upload-Length': String(finished.size),
            'Cache-Control': 'no-store',
          })
          .end();
        return;
      }
    }
    if (req.method === 'DELETE' && (await uploads.remove(id, owner))) {
      res.status(204).set('Tus-Resumable', '1.0.0').end();
      return;
    }
    await uploads.handle(req, res, owner);
  }

  private enabled(): ResumableUploads {
    if (!this.uploads) throw notFound('resumable uploads are not served here');
    return this.uploads;
  }

  private owner(req: Request): Promise<string> {
    return requestCaller(this.owners, req).then((caller) => caller.owner);
  }
}
