import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@tus/server';
import type { Upload } from '@tus/utils';
import type { UploadLocker } from './upload-locker';
import type { TaskLogger } from '../definition';
import type { Clock, ObjectStorage, UploadRecord, UploadStore } from '../ports';
import type { UploadLayout } from './upload-layout';
import { OWNER_METADATA, UploadRegistrar } from './upload-registrar';

/** The owner of each request being served: tus hands its hooks a web Request over the Node one. */
const owners = new WeakMap<IncomingMessage, string>();
const ownerOfRequest = (req: object): string | undefined => {
  const node = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  return node ? owners.get(node) : undefined;
};
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ResumableUploadSettings {
  /** URL path of the tus endpoint, e.g. `/uploads`. */
  path: string;
  /** Largest upload accepted (`Upload-Length`), in bytes. */
  maxSize: number;
  /** Incomplete uploads are deleted this long after their creation. */
  expireAfterMs: number;
  /** Finished uploads stay usable this long. */
  retentionMs: number;
  dedup: boolean;
}

export interface ResumableUploadsDeps {
  layout: UploadLayout;
  storage: ObjectStorage;
  uploads: UploadStore;
  clock: Clock;
  logger: TaskLogger;
  settings: ResumableUploadSettings;
  /** Shared by every API instance when there are several (see `RedisUploadLocker`). */
  locker?: UploadLocker;
}

/**
 * Resumable uploads over tus 1.0 (`@tus/server`): creation, creation with
 * upload, termination, expiration. An upload belongs to the owner who created
 * it; anybody else gets a 404. Finished uploads are recorded (content hash,
 * dedup) so that a task's input can name them by id.
 */
export class ResumableUploads {
  private readonly registrar: UploadRegistrar;
  private readonly server: Server;

  /** Loads tus (ES modules, loaded only when uploads are on) and builds the endpoint. */
  static async create(deps: ResumableUploadsDeps): Promise<ResumableUploads> {
    const [tus, { ERRORS }] = await Promise.all([import('@tus/server'), import('@tus/utils')]);
    return new ResumableUploads(
      deps,
      (hooks) => new tus.Server({ ...hooks, locker: deps.locker ?? new tus.MemoryLocker() }),
      ERRORS,
    );
  }

  private constructor(
    private readonly deps: ResumableUploadsDeps,
    server: (options: Omit<ConstructorParameters<typeof Server>[0], 'locker'>) => Server,
    ERRORS: typeof import('@tus/utils').ERRORS,
  ) {
    const { layout, settings } = deps;
    this.registrar = new UploadRegistrar({ ...deps, retentionMs: settings.retentionMs, dedup: settings.dedup });
    this.server = server({
      path: settings.path,
      datastore: layout.datastore,
      maxSize: settings.maxSize,
      relativeLocation: true,
      namingFunction: () => layout.datastoreId(randomUUID()),
      generateUrl: (_req, { path, id }) => `${path}/${layout.uploadId(id)}`,
      getFileIdFromRequest: (_req, lastPath) =>
        lastPath && UPLOAD_ID.test(lastPath) ? layout.datastoreId(lastPath) : undefined,
      onUploadCreate: async (req, upload) => {
        const owner = ownerOfRequest(req);
        if (!owner) throw ERRORS.FILE_NOT_FOUND;
        return { metadata: { ...upload.metadata, [OWNER_METADATA]: owner } };
      },
      onIncomingRequest: async (req, datastoreId) => {
        const owner = await this.ownerOf(datastoreId);
        // Unknown uploads go on to tus, which answers 404 itself.
        if (owner !== null && owner !== ownerOfRequest(req)) throw ERRORS.FILE_NOT_FOUND;
      },
      onUploadFinish: async (_req, upload) => {
        await this.finish(upload);
        return {};
      },
    });
  }

  /** Serves one tus request for `owner`. */
  async handle(req: IncomingMessage, res: ServerResponse, owner: string): Promise<void> {
    owners.set(req, owner);
    await this.server.handle(req, res);
  }

  /** The finished upload `id` of `owner`, or null. */
  async finished(id: string, owner: string): Promise<UploadRecord | null> {
    if (!UPLOAD_ID.test(id)) return null;
    const record = await this.deps.uploads.get(id);
    return record && record.owner === owner ? record : null;
  }

  /** Deletes a finished upload of `owner`; its content goes once no other upload shares it. */
  async remove(id: string, owner: string): Promise<boolean> {
    if (!(await this.finished(id, owner))) return false;
    const removal = await this.deps.uploads.delete(id);
    if (removal?.contentUnused) await this.registrar.deleteContent(removal.contentKey);
    return true;
  }

  /** Deletes expired incomplete uploads (tus) and expired finished ones; returns how many. */
  async cleanUp(limit = 500): Promise<{ incomplete: number; finished: number }> {
    const incomplete = await this.server.cleanUpExpiredUploads().catch((error: unknown) => {
      this.deps.logger.warn(`cleanup of expired incomplete uploads failed: ${String(error)}`);
      return 0;
    });
    const expired = await this.deps.uploads.findExpired(this.deps.clock.now(), limit);
    for (const record of expired) {
      const removal = await this.deps.uploads.delete(record.id);
      if (removal?.contentUnused) await this.registrar.deleteContent(removal.contentKey);
    }
    return { incomplete, finished: expired.length };
  }

  private async finish(upload: Upload): Promise<void> {
    try {
      const record = await this.registrar.register(upload);
      this.deps.logger.log(`upload ${record.id} finished: ${record.size} bytes, sha256 ${record.sha256.slice(0, 12)}`);
    } catch (error) {
      this.deps.logger.error(`upload ${upload.id} could not be recorded: ${String(error)}`);
      // 503: the bytes are in; a retry of the last PATCH records it (tus answers from the offset).
      throw { status_code: 503, body: 'upload received but not recorded; retry\n' };
    }
  }

  /**
   * Owner of an upload, in progress (the tus store's metadata: what every
   * PATCH asks, and the store caches it) or finished (the registry: a
   * finished upload's metadata is deleted when it is recorded); null when
   * there is no such upload.
   */
  private async ownerOf(datastoreId: string): Promise<string | null> {
    const upload = await this.deps.layout.datastore.getUpload(datastoreId).catch(() => null);
    if (upload) return upload.metadata?.[OWNER_METADATA] ?? null;
    const record = await this.deps.uploads.get(this.deps.layout.uploadId(datastoreId));
    return record?.owner ?? null;
  }
}
