import { canonicalJson, requestFingerprint } from './request-fingerprint';

describe('requestFingerprint', () => {
  it('is the same for the same type and input whatever the order of keys', () => {
    const a = requestFingerprint('create-zip', { b: [1, { y: 2, x: 1 }], a: 'é' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint('create-zip', { a: 'é', b: [1, { x: 1, y: 2 }] })).toBe(a);
  });

  it('differs with the type, a value, the order of an array, or a key', () => {
    const base = requestFingerprint('t', { list: [1, 2], n: 1 });
    for (const other of [
      requestFingerprint('u', { list: [1, 2], n: 1 }),
      requestFingerprint('t', { list: [1, 2], n: 2 }),
      requestFingerprint('t', { list: [2, 1], n: 1 }),
      requestFingerprint('t', { list: [1, 2], n: 1, extra: null }),
      requestFingerprint('t', { list: [1, 2], n: '1' }),
    ]) {
      expect(other).not.toBe(base);
    }
  });

  it('reads no input as null, and leaves out undefined members as JSON does', () => {
    expect(requestFingerprint('t', undefined)).toBe(requestFingerprint('t', null));
    expect(requestFingerprint('t', { a: 1, b: undefined })).toBe(requestFingerprint('t', { a: 1 }));
  });

  it('keeps a "__proto__" key as data', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown;
    expect(canonicalJson(input)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});
