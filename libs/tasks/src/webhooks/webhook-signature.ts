import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every webhook request carries. */
export const SIGNATURE_HEADER = 'X-Stepwise-Signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (DESIGN.md).
 * Signed again at every attempt: the body is the same bytes, the timestamp is fresh.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** Why `verifyWebhook` refused a request, or `null` when the signature holds. */
export type WebhookVerification = null | 'malformed' | 'mismatch' | 'expired';

/**
 * Checks a received webhook: `header` is the `X-Stepwise-Signature` value,
 * `body` the raw request body (the exact bytes, before any JSON parsing).
 * Refuses a signature older or newer than `toleranceSeconds` (default 300)
 * so that a captured request cannot be replayed later. Compares in
 * constant time. Returns `null` when the request is genuine.
 */
export function verifyWebhook(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  { toleranceSeconds = 300, nowSeconds = Date.now() / 1000 }: { toleranceSeconds?: number; nowSeconds?: number } = {},
): WebhookVerification {
  const match = /^t=(\d{1,15}),v1=([0-9a-f]{64})$/.exec(header?.trim() ?? '');
  if (!match) return 'malformed';
  const t = Number(match[1]);
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(match[2], 'hex'))) return 'mismatch';
  return Math.abs(nowSeconds - t) > toleranceSeconds ? 'expired' : null;
}
