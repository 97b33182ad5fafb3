import { createHash } from 'node:crypto';
import type { Upload } from '@tus/utils';
import { sanitizeFileName } from '../web/file-name';
import type { Clock, ObjectStorage, UploadRecord, UploadStore } from '../ports';
import type { UploadLayout } from '../ports';

/** tus metadata key carrying the owner, set by the server, never by the client. */
export const OWNER_METADATA = 'stepwise-owner';

export interface UploadRegistrarDeps {
  layout: UploadLayout;
  storage: ObjectStorage;
  uploads: UploadStore;
  clock: Clock;
  /** How long a finished upload stays usable. */
  retentionMs: number;
  /** Store identical content once. */
  dedup: boolean;
}

/**
 * Records a finished upload: hashes its content (a stream through SHA-256),
 * then either keeps it or, when the same bytes are already kept for another
 * upload, points the record at that content and deletes its own copy.
 */
export class UploadRegistrar {
  constructor(private readonly deps: UploadRegistrarDeps) {}

  async register(upload: Upload): Promise<UploadRecord> {
    const { layout, storage, uploads, clock, retentionMs } = this.deps;
    const id = layout.uploadId(upload.id);
    const ownKey = layout.contentKey(id);
    const sha256 = await hashOf(storage, ownKey);
    const now = clock.now();
    const record: UploadRecord = {
      id,
      owner: upload.metadata?.[OWNER_METADATA] ?? '',
      name: sanitizeFileName(upload.metadata?.filename ?? upload.metadata?.name ?? '') || 'file',
      contentType: contentType(upload.metadata?.filetype ?? upload.metadata?.type),
      size: upload.size ?? upload.offset,
      sha256,
      contentKey: ownKey,
      createdAt: upload.creation_date ? Date.parse(upload.creation_date) || now : now,
      expiresAt: now + retentionMs,
    };
    // Never share content that expires within the retention: it may be deleted under us.
    const twin = this.deps.dedup ? await uploads.findBySha256(sha256, now + retentionMs / 2) : null;
    if (!twin) {
      await uploads.create(record);
      // From now on the registry answers for the upload; without its metadata
      // the tus store no longer knows it (a HEAD or PATCH after a delete is a 404).
      await this.deleteSidecars(ownKey);
      return record;
    }
    await uploads.create({ ...record, contentKey: twin.contentKey });
    if (!(await storage.head(twin.contentKey))) {
      // The twin's content went in between (deleted by its owner): keep ours after all.
      await uploads.setContentKey(id, ownKey);
      return record;
    }
    await this.deleteContent(ownKey);
    return { ...record, contentKey: twin.contentKey };
  }

  /** Deletes content and what the tus store wrote beside it. */
  async deleteContent(contentKey: string): Promise<void> {
    await this.deps.storage.delete(contentKey);
    await this.deleteSidecars(contentKey);
  }

  private async deleteSidecars(contentKey: string): Promise<void> {
    for (const key of this.deps.layout.sidecarKeys(contentKey)) await this.deps.storage.delete(key);
  }
}

async function hashOf(storage: ObjectStorage, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await storage.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function contentType(raw: string | null | undefined): string {
  // A MIME type, or the neutral default: the value ends up in response headers.
  return raw && /^[\w.+-]+\/[\w.+-]+$/.test(raw) && raw.length <= 255 ? raw : 'application/octet-stream';
}
