/** S3's limit on the length of a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** C0 controls and DEL: legal in S3 keys, but XML listings cannot carry all of them. */
const isControl = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** A key (or prefix) the storage refuses: it names no object this storage may hold. */
export class InvalidObjectKeyError extends Error {
  readonly code = 'InvalidObjectKey';

  constructor(
    key: string,
    /** What is wrong with the key, e.g. `must not contain ".."`. */
    readonly reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}...` : key)}: ${reason}`);
    this.name = 'InvalidObjectKeyError';
  }
}

/**
 * Maps the port's keys to bucket keys under a root prefix, and back.
 *
 * A key is a relative, normalised path: no leading `/`, no empty, `.` or
 * `..` segment, no control character. S3 itself would accept all of those;
 * refusing them keeps keys identical across storages (a filesystem resolves
 * `a/../b` to `b`) and keeps a crafted key from reaching above the prefix
 * when one is configured.
 */
export class ObjectKeys {
  readonly root: string;

  constructor(prefix = '') {
    const trimmed = prefix.replace(/\/+$/, '');
    if (trimmed) checkPath(trimmed, trimmed);
    this.root = trimmed ? `${trimmed}/` : '';
  }

  /** The bucket key of an object. */
  object(key: string): string {
    if (key === '') throw new InvalidObjectKeyError(key, 'empty');
    checkPath(key, key);
    return this.bucketKey(key);
  }

  /** The bucket prefix of a listing or deletion: `''` (everything), or a key, or a key ending in `/`. */
  prefix(prefix: string): string {
    const path = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    if (prefix !== '') checkPath(prefix, path);
    return this.bucketKey(prefix);
  }

  /** The port's key of a bucket key listed under the root. */
  fromBucketKey(bucketKey: string): string {
    return bucketKey.slice(this.root.length);
  }

  private bucketKey(key: string): string {
    const full = this.root + key;
    if (Buffer.byteLength(full) > MAX_KEY_BYTES) {
      throw new InvalidObjectKeyError(key, `longer than ${MAX_KEY_BYTES} bytes with the prefix`);
    }
    return full;
  }
}

function checkPath(key: string, path: string): void {
  if (path.startsWith('/')) throw new InvalidObjectKeyError(key, 'must not start with "/"');
  if (isControl(path)) throw new InvalidObjectKeyError(key, 'must not contain control characters');
  for (const segment of path.split('/')) {
    if (segment === '') throw new InvalidObjectKeyError(key, 'must not contain an empty segment ("//")');
    if (segment === '.' || segment === '..') throw new InvalidObjectKeyError(key, `must not contain "${segment}"`);
  }
}
