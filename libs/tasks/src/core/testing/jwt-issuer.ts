import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A key of the issuer: its id, algorithm and private half. */
interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A JWT issuer for tests: RS256 and ES256 key pairs made with jose, their
 * public halves served as a JWKS by a local HTTP server (counting its
 * fetches), and `sign()` to mint tokens.
 */
export interface JwtIssuer {
  jwksUrl: string;
  issuer: string;
  /** How many times the JWKS was fetched. */
  fetches(): number;
  /** A token of `claims` (default: `iss` this issuer, `aud` stepwise, expiring in an hour), signed by `kid`. */
  sign(claims: JWTPayload, options?: { kid?: string; expiresIn?: string | number; key?: CryptoKey }): Promise<string>;
  /** Adds a key pair to the served JWKS (a rotation); answers its kid. */
  rotate(alg?: 'RS256' | 'ES256'): Promise<string>;
  /** Makes the JWKS endpoint answer 500 (or recover). */
  fail(failing: boolean): void;
  /** A private key the JWKS does not hold, of `alg`. */
  strangerKey(alg?: 'RS256' | 'ES256'): Promise<CryptoKey>;
  close(): Promise<void>;
}

export const JWT_AUDIENCE = 'stepwise';

export async function startJwtIssuer(): Promise<JwtIssuer> {
  const keys: IssuerKey[] = [];
  let count = 0;
  let failing = false;
  const addKey = async (alg: 'RS256' | 'ES256', kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    keys.push({ kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } });
    return kid;
  };
  await addKey('RS256', 'rsa-1');
  await addKey('ES256', 'ec-1');
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    count += 1;
    if (failing) return void res.writeHead(500).end('down');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let rotations = 0;
  return {
    jwksUrl: `${base}/.well-known/jwks.json`,
    issuer: base,
    fetches: () => count,
    async sign(claims, options = {}) {
      const key = keys.find((k) => k.kid === (options.kid ?? 'rsa-1'));
      if (!key) throw new Error(`no key ${options.kid}`);
      return new SignJWT({ iss: base, aud: JWT_AUDIENCE, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(options.key ?? key.privateKey);
    },
    rotate: async (alg = 'RS256') => addKey(alg, `rotated-${(rotations += 1)}`),
    fail(value) {
      failing = value;
    },
    strangerKey: async (alg = 'RS256') => (await generateKeyPair(alg)).privateKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
