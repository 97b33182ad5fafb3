import type { UploadLayout, UploadLayoutOptions } from './upload-layout';
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  /** Hex SHA-256 of the content, computed while streaming. */
  sha256: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  lastModified: number;
}

export interface PutOptions {
  contentType?: string;
  /** Aborts the write; a partial object is removed. */
  signal?: AbortSignal;
}

/** Inclusive byte range, as in HTTP `Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Options of {@link ObjectStorage.presignGet}. */
export interface PresignGetOptions {
  /** How long the URL stays valid, in seconds (S3 accepts 1 to 604800, seven days). */
  expiresInSeconds: number;
  /** `Content-Disposition` the storage answers the URL with, e.g. `attachment; filename="a.zip"`. */
  contentDisposition?: string;
  /** `Content-Type` the storage answers the URL with. */
  contentType?: string;
}

/** Object storage port: every path is a stream, never a whole buffer. */
export interface ObjectStorage {
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | null>;
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  ping(): Promise<void>;
  /**
   * Optional capability: a time-limited URL that reads the object straight
   * from the storage, so that a large download bypasses the API. Storage
   * that cannot presign (the filesystem) leaves it out; callers test for it.
   * The URL is a bearer credential for that one object: hand it only to who
   * may read the object.
   */
  presignGet?(key: string, options: PresignGetOptions): Promise<string>;
  /**
   * Optional: a tus datastore that writes resumable uploads where this
   * storage reads them (`uploads/<id>`). Without it, resumable uploads are
   * off on this storage (with a warning at boot); multipart submits work.
   * Loads tus only when called.
   */
  uploadLayout?(options: UploadLayoutOptions): Promise<UploadLayout>;
}
