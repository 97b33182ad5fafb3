import { createHmac } from 'node:crypto';

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
