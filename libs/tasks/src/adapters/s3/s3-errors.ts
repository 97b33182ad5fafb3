/** What the SDK's service exceptions carry that we look at. */
interface ServiceErrorShape {
  name?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * A missing object: `NoSuchKey` from GET, a bare 404 `NotFound` from HEAD
 * (which has no body). A missing bucket is a misconfiguration, not a missing
 * object: `NoSuchBucket` is not one.
 */
export function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ServiceErrorShape;
  if (e.name === 'NoSuchBucket' || e.Code === 'NoSuchBucket') return false;
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/**
 * The error `get` throws for a missing object, shaped as the filesystem
 * adapter's (`code: 'NoSuchKey'`), so callers test one thing.
 */
export function noSuchKey(key: string, cause?: unknown): Error {
  return Object.assign(new Error(`object ${key} not found`, { cause }), { code: 'NoSuchKey' });
}

/** The error a `put` rejects with when its signal fires, as `stream.pipeline` does. */
export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}
