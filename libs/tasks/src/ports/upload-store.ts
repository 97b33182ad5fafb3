/** A finished resumable upload that a task's input may name by its id. */
export interface UploadRecord {
  /** The last segment of the upload's URL (`/uploads/{id}`). */
  id: string;
  owner: string;
  /** File name from the upload's `filename` metadata, sanitised. */
  name: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the content, computed when the upload finished. */
  sha256: string;
  /** Storage key of the content: shared by every upload of the same bytes. */
  contentKey: string;
  createdAt: number;
  /** After this the record (and its content, once unused) is deleted. */
  expiresAt: number;
}

/**
 * An upload in progress, recorded at its creation for the `openUploads`
 * quota: every API instance counts the same. Released when it finishes, is
 * deleted or discarded; past `expiresAt` (the tus store's own expiry) it no
 * longer counts.
 */
export interface UploadReservation {
  id: string;
  owner: string;
  /** `Upload-Length`, or 0 when deferred. */
  size: number;
  createdAt: number;
  expiresAt: number;
}

/** What deleting an upload record left behind. */
export interface UploadRemoval {
  /** True when no other record refers to the content any more: the caller deletes it. */
  contentUnused: boolean;
  contentKey: string;
}

/**
 * The registry of finished uploads: who owns them, what they hold and where.
 * Uploads in progress belong to the tus store; an upload is recorded here
 * once its last byte has arrived.
 */
export interface UploadStore {
  create(record: UploadRecord): Promise<void>;
  get(id: string): Promise<UploadRecord | null>;
  /**
   * An upload of these bytes whose content can be shared: one that expires
   * after `notExpiringBefore` (one about to be deleted never is).
   */
  findBySha256(sha256: string, notExpiringBefore: number): Promise<UploadRecord | null>;
  /** Points a record at other content (when the content it shared has gone). */
  setContentKey(id: string, contentKey: string): Promise<void>;
  /** Deletes the record; null if there was none. */
  delete(id: string): Promise<UploadRemoval | null>;
  /** Records whose `expiresAt` is past, oldest first. */
  findExpired(now: number, limit: number): Promise<UploadRecord[]>;
  /**
   * Quotas (optional for stores of older versions; `quotas.openUploads` and
   * `quotas.storedBytes` need them): records an upload in progress...
   */
  reserve?(reservation: UploadReservation): Promise<void>;
  /**
   * ...or records it only while the owner has fewer than `max` in progress
   * (not expired at its `createdAt`), counted and inserted as one step
   * (PostgreSQL: under a per-owner advisory lock), so that racing creations
   * never overshoot; answers the count when refused (nothing recorded), null
   * when recorded...
   */
  reserveWithin?(reservation: UploadReservation, max: number): Promise<number | null>;
  /** ...forgets it (finished, deleted, discarded; no error when unknown)... */
  release?(id: string): Promise<void>;
  /** ...forgets those expired before `now`, at most `limit`; answers how many... */
  releaseExpired?(now: number, limit: number): Promise<number>;
  /** ...counts `owner`'s uploads in progress that have not expired at `now`... */
  countOpen?(owner: string, now: number): Promise<number>;
  /** ...and sums the sizes of `owner`'s finished uploads. */
  finishedBytes?(owner: string): Promise<number>;
}
