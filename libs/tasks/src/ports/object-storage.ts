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
}
