import { BadRequestException } from '@nestjs/common';
import { MemoryApiKeyStore, ManualClock } from '../../adapters/memory';
import { ApiKeyOwnerResolver } from './api-key-owner-resolver';
import { API_KEY_PREFIX, ApiKeys } from './api-keys';
import { presentedCredential } from './credentials';

describe('ApiKeys', () => {
  const setup = () => {
    const store = new MemoryApiKeyStore();
    return { store, keys: new ApiKeys(store, new ManualClock(1_700_000_000_000)) };
  };

  it('creates a random key shown once, stores only its SHA-256, and verifies it', async () => {
    const { store, keys } = setup();
    const { key, apiKey } = await keys.create({ owner: ' alice ', roles: ['admin', 'admin', 'ops'], name: 'CI' });
    expect(key).toMatch(/^swk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(apiKey).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      owner: 'alice',
      roles: ['admin', 'ops'],
      name: 'CI',
      createdAt: '2023-11-14T22:13:20.000Z',
      revokedAt: null,
    });
    const stored = await store.get(apiKey.id);
    expect(JSON.stringify(stored)).not.toContain(key.slice(37));
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await keys.verify(key))?.owner).toBe('alice');
    const other = await keys.create({ owner: 'alice' });
    expect(other.key).not.toBe(key);
  });

  it('refuses a revoked, forged, unknown or malformed key', async () => {
    const { keys } = setup();
    const { key, apiKey } = await keys.create({ owner: 'alice' });
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    expect(await keys.verify(`${key.slice(0, -1)}${last}`)).toBeNull();
    expect(await keys.verify(`${key}x`)).toBeNull();
    expect(await keys.verify(`swk_${'f'.repeat(32)}_${'A'.repeat(43)}`)).toBeNull();
    expect(await keys.verify('')).toBeNull();
    expect(await keys.revoke(apiKey.id.toUpperCase())).toBe(true);
    expect(await keys.verify(key)).toBeNull();
    expect(await keys.revoke(apiKey.id)).toBe(false);
    expect(await keys.revoke('not-an-id')).toBe(false);
    expect((await keys.list())[0].revokedAt).toBe('2023-11-14T22:13:20.000Z');
  });

  it.each([
    ['a blank owner', { owner: '  ' }],
    ['an over-long owner', { owner: 'o'.repeat(201) }],
    ['a role with spaces', { owner: 'a', roles: ['super admin'] }],
    ['an empty role', { owner: 'a', roles: [''] }],
    ['an over-long name', { owner: 'a', name: 'n'.repeat(101) }],
  ])('refuses %s with a 400 naming it', async (_label, input) => {
    await expect(setup().keys.create(input)).rejects.toBeInstanceOf(BadRequestException);
  });

  it('resolves the caller of a key from any of the three places, Authorization first', async () => {
    const { keys } = setup();
    const alice = (await keys.create({ owner: 'alice', roles: ['admin'] })).key;
    const bob = (await keys.create({ owner: 'bob' })).key;
    const resolver = new ApiKeyOwnerResolver(keys);
    expect(await resolver.resolve({ headers: { authorization: `bearer  ${alice}` } })).toEqual({
      owner: 'alice',
      roles: ['admin'],
    });
    expect(await resolver.resolve({ headers: { 'x-api-key': bob } })).toMatchObject({ owner: 'bob' });
    expect(await resolver.resolve({ headers: {}, auth: { token: bob } })).toMatchObject({ owner: 'bob' });
    expect(await resolver.resolve({ headers: { authorization: `Bearer ${alice}`, 'x-api-key': bob } })).toMatchObject({
      owner: 'alice',
    });
    await expect(resolver.resolve({ headers: {} })).rejects.toThrow(/Missing API key/);
    await expect(resolver.resolve({ headers: { authorization: 'Bearer nope' } })).rejects.toThrow(/Invalid/);
  });

  it('reads no credential from other schemes, blanks or oversized values', () => {
    expect(presentedCredential({ headers: { authorization: 'Basic abc' } })).toBeUndefined();
    expect(presentedCredential({ headers: { authorization: 'Bearer' } })).toBeUndefined();
    expect(presentedCredential({ headers: { 'x-api-key': '  ' } })).toBeUndefined();
    expect(presentedCredential({ headers: { 'x-api-key': 'k'.repeat(8193) } })).toBeUndefined();
    expect(presentedCredential({ headers: {}, auth: { token: 42 } })).toBeUndefined();
    expect(presentedCredential({ headers: { 'x-api-key': ['a', 'b'] } })).toBe('a');
  });
});
