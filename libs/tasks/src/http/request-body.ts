import type { IncomingMessage } from 'node:http';
import { guardedListeners } from '../web/guarded-listeners';
import { badRequest, payloadTooLarge } from '../web/http-error';

/** Same default as Nest's JSON body parser. */
export const MAX_JSON_BYTES = 100 * 1024;

/** `type/subtype` of the request, lower-cased, without parameters; undefined without a header. */
export function mediaTypeOf(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'];
  if (!header) return undefined;
  return header.split(';', 1)[0].trim().toLowerCase();
}

export function isJsonMediaType(mediaType: string | undefined): boolean {
  return mediaType === 'application/json' || (mediaType?.endsWith('+json') ?? false);
}

/** Whether the request carries a body at all (the rule of `type-is`). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * The JSON body. Uses what the host's body parser already read when it ran
 * (Nest's default); reads it here when the host turned the parser off or the
 * type is a `+json` one it skips. Malformed JSON is a 400, an oversized body a 413.
 */
export async function readJsonBody(
  req: IncomingMessage & { body?: unknown },
  limit = MAX_JSON_BYTES,
): Promise<unknown> {
  if (req.body !== undefined || req.readableEnded || !hasBody(req)) return req.body;
  const text = await readText(req, limit);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`Malformed JSON body: ${(error as Error).message}`);
  }
}

/** Events, not `for await`: leaving an async iterator early would destroy the socket before the 413 is sent. */
function readText(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const { on, once, off } = guardedListeners(reject);
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Keep reading into the void so that the client gets the 413 rather than a reset.
      off(req, 'data', onData);
      req.resume();
      reject(payloadTooLarge(`JSON body exceeds ${limit} bytes`));
    };
    on(req, 'data', onData);
    once(req, 'end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    once(req, 'error', reject);
  });
}
