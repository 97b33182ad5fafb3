import { ServiceUnavailableException } from '@nestjs/common';
import { SignJWT } from 'jose';
import { toErrorResponse } from '../../web/error-response';
import { startJwtIssuer, JWT_AUDIENCE, type JwtIssuer } from '../testing/jwt-issuer';
import { AuthenticationError } from './auth-errors';
import { JwtOwnerResolver } from './jwt-owner-resolver';

const SECRET = 'a-shared-secret-of-at-least-32-chars!';
const hs = (claims: Record<string, unknown>, secret = SECRET, expires: number | string = '1h') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret));
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** The refusal of `promise`, with the answer the HTTP filter would send. */
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error('resolved, expected a refusal');
    },
    (e: unknown) => e,
  );
  return { error, ...toErrorResponse(error) };
}

describe('JwtOwnerResolver with a shared secret (HS256)', () => {
  const resolver = new JwtOwnerResolver({ scheme: 'jwt', secret: SECRET });

  it('answers the owner from sub and the roles from roles', async () => {
    expect(await resolver.resolve(bearer(await hs({ sub: 'alice', roles: ['admin', 'ops', 7] })))).toEqual({
      owner: 'alice',
      roles: ['admin', 'ops'],
    });
    // The Socket.IO handshake's auth payload, as browsers send it.
    expect(await resolver.resolve({ headers: {}, auth: { token: await hs({ sub: 'bob' }) } })).toEqual({
      owner: 'bob',
      roles: [],
    });
  });

  it.each([
    ['expired', () => hs({ sub: 'alice' }, SECRET, Math.floor(Date.now() / 1000) - 60), 'The token has expired'],
    ['signed with another secret', () => hs({ sub: 'alice' }, 'x'.repeat(40)), 'The token signature is invalid'],
    ['without sub', () => hs({ name: 'alice' }), 'The token has no "sub" claim to identify the caller'],
    ['with an empty sub', () => hs({ sub: ' ' }), 'The token has no "sub" claim'],
    ['with an over-long sub', () => hs({ sub: 'a'.repeat(201) }), 'longer than 200'],
    ['malformed', async () => 'not-a-jwt', 'The token is not a valid JWT'],
  ])('refuses a token %s: 401 with an invalid_token challenge', async (_label, token, message) => {
    const { error, body, headers } = await refusal(resolver.resolve(bearer(await token())));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(body).toMatchObject({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining(message) });
    expect(headers['WWW-Authenticate']).toBe(
      `Bearer realm="stepwise", error="invalid_token", error_description="${body.message.replace(/"/g, "'")}"`,
    );
  });

  it('refuses a missing token with a bare challenge', async () => {
    const { body, headers } = await refusal(resolver.resolve({ headers: {} }));
    expect(body).toMatchObject({ statusCode: 401, message: 'Missing token: send Authorization: Bearer <JWT>' });
    expect(headers['WWW-Authenticate']).toBe('Bearer realm="stepwise"');
  });

  it('checks the issuer and the audience when configured, and reads other claims', async () => {
    const strict = new JwtOwnerResolver({
      scheme: 'jwt',
      secret: SECRET,
      issuer: ['https://a.example', 'https://b.example'],
      audience: 'stepwise',
      ownerClaim: 'email',
      rolesClaim: 'realm_access.roles',
    });
    const good = { iss: 'https://b.example', aud: ['other', 'stepwise'], email: 'al@example.com' };
    expect(await strict.resolve(bearer(await hs({ ...good, realm_access: { roles: ['admin'] } })))).toEqual({
      owner: 'al@example.com',
      roles: ['admin'],
    });
    for (const [claims, message] of [
      [{ ...good, iss: 'https://c.example' }, 'The token\'s "iss" claim is not accepted'],
      [{ ...good, aud: 'other' }, 'The token\'s "aud" claim is not accepted'],
      [{ ...good, iss: undefined }, 'The token\'s "iss" claim is not accepted'],
      [{ ...good, email: undefined, sub: 'x' }, 'no "email" claim'],
    ] as const) {
      const { body } = await refusal(strict.resolve(bearer(await hs(claims))));
      expect(body.message).toContain(message);
    }
  });

  it('reads roles given as one string, a namespaced claim name with dots, and a numeric owner', async () => {
    const scoped = new JwtOwnerResolver({
      scheme: 'jwt',
      secret: SECRET,
      ownerClaim: 'uid',
      rolesClaim: 'https://example.com/roles',
    });
    expect(await scoped.resolve(bearer(await hs({ uid: 42, 'https://example.com/roles': 'admin ops,audit' })))).toEqual(
      {
        owner: '42',
        roles: ['admin', 'ops', 'audit'],
      },
    );
  });

  it('refuses an unsigned token and a token of a public-key algorithm', async () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64({ sub: 'alice' })}.`;
    expect((await refusal(resolver.resolve(bearer(unsigned)))).body.statusCode).toBe(401);
    const issuer = await startJwtIssuer();
    try {
      const { body } = await refusal(resolver.resolve(bearer(await issuer.sign({ sub: 'alice' }))));
      expect(body.message).toBe('The token is signed with an algorithm that is not accepted');
    } finally {
      await issuer.close();
    }
  });

  it('refuses bad options at boot', () => {
    expect(() => new JwtOwnerResolver({ scheme: 'jwt' })).toThrow(/exactly one of auth.secret and auth.jwksUrl/);
    expect(() => new JwtOwnerResolver({ scheme: 'jwt', secret: 'short' })).toThrow(/at least 32 characters/);
    expect(() => new JwtOwnerResolver({ scheme: 'jwt', jwksUrl: 'file:///etc/keys' })).toThrow(/http\(s\):\/\//);
    expect(() => new JwtOwnerResolver({ scheme: 'jwt', secret: SECRET, algorithms: ['RS256'] })).toThrow(
      /auth.algorithms must be some of HS256/,
    );
  });
});

describe('JwtOwnerResolver with a JWKS (RS256, ES256)', () => {
  let issuer: JwtIssuer;
  beforeEach(async () => {
    issuer = await startJwtIssuer();
  });
  afterEach(() => issuer.close());

  const resolverOf = (extra: object = {}) =>
    new JwtOwnerResolver({ scheme: 'jwt', jwksUrl: issuer.jwksUrl, audience: JWT_AUDIENCE, ...extra });

  it('verifies with the served keys, fetching the key set once', async () => {
    const resolver = resolverOf();
    for (let i = 0; i < 5; i += 1) {
      expect(
        await resolver.resolve(bearer(await issuer.sign({ sub: `u${i}` }, { kid: i % 2 ? 'ec-1' : 'rsa-1' }))),
      ).toMatchObject({
        owner: `u${i}`,
      });
    }
    expect(issuer.fetches()).toBe(1);
  });

  it('fetches again for a key id it does not know: a rotation needs no restart', async () => {
    const resolver = resolverOf({ jwksCooldownMs: 0 });
    await resolver.resolve(bearer(await issuer.sign({ sub: 'alice' })));
    const kid = await issuer.rotate('ES256');
    expect(await resolver.resolve(bearer(await issuer.sign({ sub: 'carol' }, { kid })))).toMatchObject({
      owner: 'carol',
    });
    expect(issuer.fetches()).toBe(2);
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const resolver = resolverOf();
    const forged = await new SignJWT({ sub: 'alice', aud: JWT_AUDIENCE })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(await (await fetch(issuer.jwksUrl)).json())));
    const { body } = await refusal(resolver.resolve(bearer(forged)));
    expect(body).toMatchObject({
      statusCode: 401,
      message: 'The token is signed with an algorithm that is not accepted',
    });
  });

  it('answers 503 with Retry-After while the key set cannot be fetched, then recovers', async () => {
    issuer.fail(true);
    const resolver = resolverOf({ jwksCooldownMs: 0 });
    const token = await issuer.sign({ sub: 'alice' });
    const { error, body, headers } = await refusal(resolver.resolve(bearer(token)));
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(body.statusCode).toBe(503);
    expect(headers['Retry-After']).toBe('5');
    issuer.fail(false);
    expect(await resolver.resolve(bearer(token))).toMatchObject({ owner: 'alice' });
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
