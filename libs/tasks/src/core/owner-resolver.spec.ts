import { UnauthorizedException } from '@nestjs/common';
import { AnonymousOwnerResolver, HeaderOwnerResolver, resolveOwner, type OwnerResolver } from './owner-resolver';

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
});
