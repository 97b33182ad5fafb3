import { badRequest } from './http-error';

/** What a submit carries besides its input. */
export interface SubmitOptions {
  idempotencyKey?: string;
  callbackUrl?: string;
}

/** Visible ASCII, as header values allow; long enough for a UUID or a hash with a prefix. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;
const MAX_URL_LENGTH = 2048;

/**
 * Validates the `Idempotency-Key` header and the `callbackUrl` query
 * parameter. The callback must be an absolute http(s) URL; whether its host
 * may be private is the webhook notifier's decision, not this one's.
 */
export function parseSubmitOptions(idempotencyKey: unknown, callbackUrl: unknown): SubmitOptions {
  const options: SubmitOptions = {};
  if (idempotencyKey !== undefined) {
    const key = typeof idempotencyKey === 'string' ? idempotencyKey.trim() : '';
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    options.idempotencyKey = key;
  }
  if (callbackUrl !== undefined) options.callbackUrl = parseCallbackUrl(callbackUrl);
  return options;
}

function parseCallbackUrl(value: unknown): string {
  const invalid = (message: string) => badRequest(`callbackUrl ${message}`, [{ field: 'callbackUrl', message }]);
  if (typeof value !== 'string' || value === '') throw invalid('must be one absolute http(s) URL');
  if (value.length > MAX_URL_LENGTH) throw invalid(`must be at most ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid('must be an absolute http(s) URL');
  }
  return url.toString();
}
