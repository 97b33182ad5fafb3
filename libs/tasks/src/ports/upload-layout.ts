/** Resumable uploads live in the same storage as everything else, under this key prefix. */
export const UPLOADS_PREFIX = 'uploads/';

/**
 * Where a resumable upload's bytes go, seen from both sides: the tus
 * datastore names an upload by its datastore id, the `ObjectStorage` port by
 * a key. The URL carries only the public id (a UUID); the datastore id adds
 * whatever prefix puts the bytes where the port reads them. Made by the
 * storage adapter (`ObjectStorage.uploadLayout`), since only it knows both.
 */
export interface UploadLayout {
  /** The tus `DataStore` (from `@tus/utils`): opaque here, so that the kernel needs no tus. */
  datastore: unknown;
  /** Datastore id of a public upload id. */
  datastoreId(uploadId: string): string;
  /** Public id of a datastore id. */
  uploadId(datastoreId: string): string;
  /** `ObjectStorage` key of the upload's content. */
  contentKey(uploadId: string): string;
  /** Keys of what the datastore writes next to the content (its metadata). */
  sidecarKeys(contentKey: string): string[];
}

export interface UploadLayoutOptions {
  /** Incomplete uploads older than this are deleted by the datastore's cleanup. */
  expireAfterMs: number;
}
