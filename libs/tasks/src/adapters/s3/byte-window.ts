import { Readable } from 'node:stream';
import type { ByteRange } from '../../ports';

/**
 * Fits a ranged GET's body to the range asked for. HTTP lets a server
 * ignore `Range` (a `200` with the whole object) and S3-compatible servers
 * differ in the details (s3rver 3.7 reads `bytes=0-0` as `bytes=0-`): the
 * body is trimmed to `range` according to the `Content-Range` received.
 * Returns the body itself when it already is the range.
 *
 * @param contentRange - the response's `Content-Range` (`bytes a-b/size`), if any.
 */
export function fitToRange(body: Readable, range: ByteRange, contentRange: string | undefined): Readable {
  const served = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(contentRange ?? '');
  const start = served ? Number(served[1]) : 0;
  const end = served ? Number(served[2]) : Infinity;
  if (start === range.start && end === range.end) return body;
  if (start > range.start) {
    body.destroy();
    throw new Error(`storage answered bytes ${start}-${end} to a request for ${range.start}-${range.end}`);
  }
  return Readable.from(window(body, range.start - start, range.end - range.start + 1), { objectMode: false });
}

/** Skips `skip` bytes, yields `take` bytes, and lets go of the source (stopping the download). */
async function* window(source: Readable, skip: number, take: number): AsyncGenerator<Buffer> {
  try {
    for await (const data of source) {
      let chunk = data as Buffer;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      chunk = chunk.subarray(skip);
      skip = 0;
      if (chunk.length >= take) {
        yield chunk.subarray(0, take);
        return;
      }
      take -= chunk.length;
      yield chunk;
    }
  } finally {
    source.destroy();
  }
}
