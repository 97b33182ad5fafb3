import { UnauthorizedException } from '@nestjs/common';
import {
  AnonymousOwnerResolver,
  HeaderOwnerResolver,
  resolveCaller,
  resolveOwner,
  type OwnerResolver,
} from './owner-resolver';

describe('owner resolvers', () => {
  it('without owner scoping, everybody is the one anonymous owner (zero configuration)', async () => {
    expect(await resolveOwner(new AnonymousOwnerResolver(), { headers: {} })).toBe('anonymous');
  });

  it('reads the owner header, the first of several, by any spelling of its name', () => {
    expect(new HeaderOwnerResolver().resolve({ headers: { 'x-owner-id': 'alice' } })).toBe('alice');
    expect(new HeaderOwnerResolver('X-Tenant').resolve({ headers: { 'x-tenant': ['t1', 't2'] } })).toBe('t1');
    expect(new HeaderOwnerResolver().resolve({ headers: { 'x-owner-id': 'o'.repeat(200) } })).toHaveLength(200);
  });

  it.each([
    ['missing', {}],
    ['empty', { 'x-owner-id': '' }],
    ['blank', { 'x-owner-id': '  ' }],
    ['over-long', { 'x-owner-id': 'o'.repeat(201) }],
    ['an empty list', { 'x-owner-id': [] as string[] }],
  ])('refuses a %s owner header with a 401, never a shared owner', (_name, headers) => {
    expect(() => new HeaderOwnerResolver().resolve({ headers })).toThrow(UnauthorizedException);
  });

  it('refuses what a custom resolver answers that would scope nothing', async () => {
    for (const answer of ['', undefined, 42]) {
      const resolver = { resolve: () => answer } as unknown as OwnerResolver;
      await expect(resolveOwner(resolver, { headers: {} })).rejects.toBeInstanceOf(UnauthorizedException);
    }
  });

  it('takes an owner (no roles) or a caller with roles, and keeps only string roles', async () => {
    const answering = (answer: unknown) => ({ resolve: () => answer }) as unknown as OwnerResolver;
    expect(await resolveCaller(answering('alice'), { headers: {} })).toEqual({ owner: 'alice', roles: [] });
    expect(
      await resolveCaller(answering(Promise.resolve({ owner: 'bob', roles: ['admin'] })), { headers: {} }),
    ).toEqual({
      owner: 'bob',
      roles: ['admin'],
    });
    const odd = await resolveCaller(answering({ owner: 'carol', roles: ['a', 7, null, 'b'] }), { headers: {} });
    expect(odd).toEqual({ owner: 'carol', roles: ['a', 'b'] });
    expect(Object.isFrozen(odd) && Object.isFrozen(odd.roles)).toBe(true);
    expect(await resolveCaller(answering({ owner: 'dan', roles: 'admin' }), { headers: {} })).toEqual({
      owner: 'dan',
      roles: [],
    });
    expect(await resolveOwner(answering({ owner: 'erin', roles: ['admin'] }), { headers: {} })).toBe('erin');
  });

  it('refuses a caller without an owner', async () => {
    for (const answer of [{ roles: ['admin'] }, { owner: '', roles: [] }, null, { owner: 7 }]) {
      const resolver = { resolve: () => answer } as unknown as OwnerResolver;
      await expect(resolveCaller(resolver, { headers: {} })).rejects.toBeInstanceOf(UnauthorizedException);
    }
  });
});
