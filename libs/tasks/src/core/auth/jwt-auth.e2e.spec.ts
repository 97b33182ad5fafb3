import { SignJWT } from 'jose';
import { describeSchemeContract, startAuthApp } from '../testing/auth-app';
import { JWT_AUDIENCE, startJwtIssuer, type JwtIssuer } from '../testing/jwt-issuer';

let issuer: JwtIssuer | undefined;
afterAll(() => issuer?.close());

describeSchemeContract('JWT bearer tokens from a JWKS (TASKS_AUTH=jwt)', async () => {
  issuer = await startJwtIssuer();
  const api = await startAuthApp({
    auth: { scheme: 'jwt', jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: JWT_AUDIENCE },
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const alice = await issuer.sign({ sub: 'alice' });
  const now = Math.floor(Date.now() / 1000);
  return {
    api,
    alice: bearer(alice),
    // ES256, from the same key set.
    bob: bearer(await issuer.sign({ sub: 'bob' }, { kid: 'ec-1' })),
    admin: bearer(await issuer.sign({ sub: 'root', roles: ['admin'] })),
    wrong: {
      expired: bearer(await issuer.sign({ sub: 'alice' }, { expiresIn: now - 60 })),
      'wrong signature': bearer(await issuer.sign({ sub: 'alice' }, { key: await issuer.strangerKey() })),
      'unknown key id': bearer(
        await new SignJWT({ sub: 'alice', iss: issuer.issuer, aud: JWT_AUDIENCE })
          .setProtectedHeader({ alg: 'RS256', kid: 'nobody' })
          .setExpirationTime('1h')
          .sign(await issuer.strangerKey()),
      ),
      'wrong issuer': bearer(await issuer.sign({ sub: 'alice', iss: 'https://elsewhere.example' })),
      'wrong audience': bearer(await issuer.sign({ sub: 'alice', aud: 'another-api' })),
      'no owner claim': bearer(await issuer.sign({ name: 'alice' })),
      'not yet valid': bearer(await issuer.sign({ sub: 'alice', nbf: now + 3600 })),
      unsigned: bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', iss: issuer.issuer })}.`),
      malformed: bearer('not.a.jwt'),
      // An API key is no token of this scheme.
      'x-api-key': { 'x-api-key': 'swk_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    },
    aliceAuth: { token: alice },
  };
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
