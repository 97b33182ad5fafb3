import { signWebhook, verifyWebhook } from './webhook-signature';

describe('verifyWebhook', () => {
  const secret = 's3cret';
  const body = '{"event":"task.completed","taskId":"t1"}';
  const now = 1_800_000_000;

  it('accepts what signWebhook signed, from a string or the raw bytes', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now + 10 })).toBeNull();
    expect(verifyWebhook(secret, Buffer.from(body), header, { nowSeconds: now })).toBeNull();
  });

  it('refuses another body, another secret, a missing or malformed header', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, body.replace('t1', 't2'), header, { nowSeconds: now })).toBe('mismatch');
    expect(verifyWebhook('other', body, header, { nowSeconds: now })).toBe('mismatch');
    expect(verifyWebhook(secret, body, undefined, { nowSeconds: now })).toBe('malformed');
    expect(verifyWebhook(secret, body, 't=1,v1=zz', { nowSeconds: now })).toBe('malformed');
    expect(verifyWebhook(secret, body, header.replace(/v1=../, 'v1=00'), { nowSeconds: now })).toBe('mismatch');
  });

  it('refuses a genuine signature outside the tolerance, either way', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, body, header, { nowSeconds: now + 301 })).toBe('expired');
    expect(verifyWebhook(secret, body, header, { nowSeconds: now - 301 })).toBe('expired');
    expect(verifyWebhook(secret, body, header, { nowSeconds: now + 3600, toleranceSeconds: 3600 })).toBeNull();
  });
});
