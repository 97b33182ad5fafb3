import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@tus/server';
import type { DataStore, Upload } from '@tus/utils';
import type { UploadLocker } from '../ports/upload-locker';
import type { TaskLogger } from '../definition';
import type { Clock, ObjectStorage, UploadRecord, UploadReservation, UploadStore } from '../ports';
import type { UploadLayout } from '../ports';
import { ApiError } from '../web/http-error';
import { guardedListeners } from '../web/guarded-listeners';
import { OWNER_METADATA, UploadRegistrar } from './upload-registrar';

/** What is known of each request being served: tus hands its hooks a web Request over the Node one. */
interface RequestState {
  owner: string;
  /** Datastore id of the upload a POST created. */
  created?: string;
  /** Set when its upload finished: from then on it may be in the registry. */
  finished?: boolean;
  /** Set once what `created` wrote is deleted. */
  discarded?: boolean;
}
const requests = new WeakMap<IncomingMessage, RequestState>();
const stateOf = (req: object): RequestState | undefined => {
  const node = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  return node ? requests.get(node) : undefined;
};
const ownerOfRequest = (req: object): string | undefined => stateOf(req)?.owner;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The storage's upload layout, its datastore seen as what it is: a tus `DataStore`. */
export type TusUploadLayout = UploadLayout & { datastore: DataStore };

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
  layout: TusUploadLayout;
  storage: ObjectStorage;
  uploads: UploadStore;
  clock: Clock;
  logger: TaskLogger;
  settings: ResumableUploadSettings;
  /** Shared by every API instance when there are several (see `RedisUploadLocker`). */
  locker?: UploadLocker;
  /** The owners' quotas a creation is checked against (`storedBytes`, `openUploads`). */
  quotas?: UploadQuotas;
}

/** What a creation asks of the owners' quotas (`OwnerQuotas`). */
export interface UploadQuotas {
  /** Throws an `ApiError` (403) when the owner is at a quota. */
  assertUploadCreation(owner: string): Promise<void>;
  /** Whether uploads in progress are recorded (and released), for the `openUploads` quota. */
  readonly countsOpenUploads: boolean;
  /** Records an upload in progress within `openUploads`; throws an `ApiError` (403) past it. */
  reserveUpload(reservation: UploadReservation): Promise<void>;
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
  /**
   * Uploads a creation request finished and recorded, by datastore id, until
   * its answer is sent: tus reads the upload back after `onUploadFinish` (for
   * `Upload-Expires`), when the tus store no longer has it.
   */
  private readonly finishedByCreation = new Map<string, Upload>();

  /** Loads tus (ES modules, loaded only when uploads are on) and builds the endpoint. */
  static async create(deps: ResumableUploadsDeps): Promise<ResumableUploads> {
    const [tus, { ERRORS, EVENTS }] = await Promise.all([import('@tus/server'), import('@tus/utils')]);
    return new ResumableUploads(
      deps,
      (hooks) => new tus.Server({ ...hooks, locker: deps.locker ?? new tus.MemoryLocker() }),
      ERRORS,
      EVENTS,
    );
  }

  private constructor(
    private readonly deps: ResumableUploadsDeps,
    server: (options: Omit<ConstructorParameters<typeof Server>[0], 'locker'>) => Server,
    ERRORS: typeof import('@tus/utils').ERRORS,
    EVENTS: typeof import('@tus/utils').EVENTS,
  ) {
    const { layout, settings } = deps;
    this.registrar = new UploadRegistrar({ ...deps, retentionMs: settings.retentionMs, dedup: settings.dedup });
    this.server = server({
      path: settings.path,
      datastore: answeringFinished(layout.datastore, this.finishedByCreation),
      maxSize: settings.maxSize,
      relativeLocation: true,
      namingFunction: (req) => {
        const id = layout.datastoreId(randomUUID());
        const state = stateOf(req);
        if (state) state.created = id;
        return id;
      },
      generateUrl: (_req, { path, id }) => `${path}/${layout.uploadId(id)}`,
      getFileIdFromRequest: (_req, lastPath) =>
        lastPath && UPLOAD_ID.test(lastPath) ? layout.datastoreId(lastPath) : undefined,
      onUploadCreate: async (req, upload) => {
        const owner = ownerOfRequest(req);
        if (!owner) throw ERRORS.FILE_NOT_FOUND;
        await this.admit(owner, upload);
        return { metadata: { ...upload.metadata, [OWNER_METADATA]: owner } };
      },
      onIncomingRequest: async (req, datastoreId) => {
        // A creation names an upload that does not exist yet.
        if (req.method === 'POST') return;
        const owner = await this.ownerOf(datastoreId);
        // Unknown to the tus store and to the registry: 404 here, not in tus. Its DELETE removes
        // whatever the store holds under that name without reading the upload first: the content
        // of a deleted upload that another upload still shares (dedup), or one being deleted.
        if (owner === undefined) throw ERRORS.FILE_NOT_FOUND;
        if (owner !== null && owner !== ownerOfRequest(req)) throw ERRORS.FILE_NOT_FOUND;
      },
      // A creation that fails after the upload was created: cleaned up before the client hears of it.
      onResponseError: async (req) => {
        const state = stateOf(req);
        if (req.method === 'POST' && state?.created && !state.discarded) {
          state.discarded = true;
          await this.discard(state.created, state.finished === true);
        }
        return undefined;
      },
      onUploadFinish: async (req, upload) => {
        const state = stateOf(req);
        if (state) state.finished = true;
        await this.finish(upload);
        if (req.method === 'POST') this.finishedByCreation.set(upload.id, upload);
        return {};
      },
    });
    // A deleted upload in progress is no longer open (release logs its own failures).
    const { on } = guardedListeners((error) => deps.logger.warn(`releasing a deleted upload failed: ${String(error)}`));
    on(this.server, EVENTS.POST_TERMINATE, (_req: unknown, _res: unknown, id: string) => void this.release(id));
  }

  /**
   * Serves one tus request for `owner`. A creation request that is not
   * answered `201` leaves nothing behind: its client has no URL to resume
   * or delete what it created (a body longer than `Upload-Length`, a
   * client gone mid-body, a finished upload that could not be recorded).
   */
  async handle(req: IncomingMessage, res: ServerResponse, owner: string): Promise<void> {
    const state: RequestState = { owner };
    requests.set(req, state);
    let answered = false;
    try {
      await this.server.handle(req, res);
      // tus answers 201 to a body cut short (a PATCH may resume it), but the client of a cut
      // creation never read the Location: nothing can name that upload again.
      answered = res.statusCode === 201 && req.complete;
    } finally {
      if (state.created) {
        this.finishedByCreation.delete(state.created);
        // Refused without an error (none today), or the answer could not be sent.
        if (!answered && !state.discarded) await this.discard(state.created, state.finished === true);
      }
    }
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
    if (this.deps.quotas?.countsOpenUploads) await this.deps.uploads.releaseExpired!(this.deps.clock.now(), limit);
    const expired = await this.deps.uploads.findExpired(this.deps.clock.now(), limit);
    for (const record of expired) {
      const removal = await this.deps.uploads.delete(record.id);
      if (removal?.contentUnused) await this.registrar.deleteContent(removal.contentKey);
    }
    return { incomplete, finished: expired.length };
  }

  /**
   * A creation within the owner's quotas (else a 403 naming the quota, in
   * the contract's shape); with `openUploads`, recorded as in progress until
   * it finishes, is deleted or expires.
   */
  private async admit(owner: string, upload: Upload): Promise<void> {
    const { quotas, clock, layout, settings } = this.deps;
    if (!quotas) return;
    try {
      await quotas.assertUploadCreation(owner);
      if (!quotas.countsOpenUploads) return;
      const now = clock.now();
      // Counted again where it is recorded: creations racing this one may have taken the last place.
      await quotas.reserveUpload({
        id: layout.uploadId(upload.id),
        owner,
        size: upload.size ?? 0,
        createdAt: now,
        expiresAt: now + settings.expireAfterMs,
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // tus answers a hook's `{ status_code, body }` as is: the contract's error body, as JSON.
      throw { status_code: error.getStatus(), body: JSON.stringify(error.getResponse()) };
    }
  }

  /** Forgets an upload in progress (finished, deleted, discarded); logged, never thrown: it expires anyway. */
  private async release(datastoreId: string): Promise<void> {
    if (!this.deps.quotas?.countsOpenUploads) return;
    const id = this.deps.layout.uploadId(datastoreId);
    await this.deps.uploads.release!(id).catch((error: unknown) => {
      this.deps.logger.warn(`upload ${id}: its reservation could not be released, it expires: ${String(error)}`);
    });
  }

  /** Deletes all an unanswered creation left: the tus store's upload, its record if it got one, the content. */
  private async discard(datastoreId: string, finished: boolean): Promise<void> {
    const { layout, uploads, logger } = this.deps;
    const id = layout.uploadId(datastoreId);
    await this.release(datastoreId);
    try {
      if (finished) {
        const removal = await uploads.delete(id);
        if (removal?.contentUnused) await this.registrar.deleteContent(removal.contentKey);
      }
      // The store's own removal first (on S3 it aborts the multipart upload and clears its cache);
      // it fails when the content is already gone, which the next line settles either way.
      await layout.datastore.remove(datastoreId).catch(() => undefined);
      await this.registrar.deleteContent(layout.contentKey(id));
    } catch (error) {
      logger.warn(`upload ${id} was not created, but what it wrote could not all be deleted: ${String(error)}`);
    }
  }

  private async finish(upload: Upload): Promise<void> {
    try {
      const record = await this.registrar.register(upload);
      await this.release(upload.id);
      this.deps.logger.log(`upload ${record.id} finished: ${record.size} bytes, sha256 ${record.sha256.slice(0, 12)}`);
    } catch (error) {
      this.deps.logger.error(`upload ${upload.id} could not be recorded: ${String(error)}`);
      // 503: the bytes are in; a retry of the last PATCH records it (tus answers from the offset).
      // A creation's upload is discarded instead: its client has no URL, and creates it again.
      throw { status_code: 503, body: 'upload received but not recorded; retry\n' };
    }
  }

  /**
   * Owner of an upload, in progress (the tus store's metadata: what every
   * PATCH asks, and the store caches it) or finished (the registry: a
   * finished upload's metadata is deleted when it is recorded); null for an
   * upload that names none, undefined when there is no such upload.
   */
  private async ownerOf(datastoreId: string): Promise<string | null | undefined> {
    const upload = await this.deps.layout.datastore.getUpload(datastoreId).catch(() => null);
    if (upload) return upload.metadata?.[OWNER_METADATA] ?? null;
    const record = await this.deps.uploads.get(this.deps.layout.uploadId(datastoreId));
    return record ? record.owner : undefined;
  }
}

/**
 * The tus store as the tus server sees it: an upload in `finished` answers
 * from there (complete: tus set its offset when it finished). Everything
 * else is the store's own, bound to it.
 */
function answeringFinished(store: DataStore, finished: ReadonlyMap<string, Upload>): DataStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'getUpload') {
        return async (id: string): Promise<Upload> => finished.get(id) ?? target.getUpload(id);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
