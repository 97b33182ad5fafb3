import { Logger, ServiceUnavailableException } from '@nestjs/common';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { FEATURE_PACKAGES, requireFeature } from '../../adapters/optional-packages';
import { MAX_OWNER_LENGTH, type Caller, type OwnerRequest, type OwnerResolver } from '../owner-resolver';
import { AuthenticationError } from './auth-errors';
import type { JwtAuthOptions } from './auth-options';
import { presentedCredential } from './credentials';

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** RFC 7518 3.2: an HS256 key is at least as long as the hash, 256 bits. */
export const MIN_JWT_SECRET_LENGTH = 32;
/** Errors of the key set that say the token, not the JWKS endpoint, is at fault. */
const TOKEN_KEY_ERRORS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

type Jose = typeof import('jose');
type Verifier = (token: string) => Promise<JWTPayload>;

/**
 * `TASKS_AUTH=jwt`: the caller is the owner (and roles) named by the claims
 * of the JSON Web Token it presents, once `jose` verified its signature
 * (shared secret, or the issuer's JWKS), expiry, not-before, issuer and
 * audience. No token, or one that fails any check, is a `401` whose
 * `WWW-Authenticate` says why; a JWKS that cannot be fetched is a `503`.
 */
export class JwtOwnerResolver implements OwnerResolver {
  private readonly logger = new Logger('Stepwise auth');
  private readonly ownerClaim: string;
  private readonly rolesClaim: string;
  private verifier: Promise<Verifier> | undefined;

  /** @throws Error naming what is wrong with `options`, at boot. */
  constructor(private readonly options: JwtAuthOptions) {
    assertJwtOptions(options);
    requireFeature('auth: { scheme: "jwt" }', FEATURE_PACKAGES.jwt);
    this.ownerClaim = options.ownerClaim?.trim() || 'sub';
    this.rolesClaim = options.rolesClaim?.trim() || 'roles';
  }

  async resolve(request: OwnerRequest): Promise<Caller> {
    const token = presentedCredential(request);
    if (!token) throw new AuthenticationError('Missing token: send Authorization: Bearer <JWT>');
    const payload = await this.verify(token);
    const owner = claimAt(payload, this.ownerClaim);
    const ownerText = typeof owner === 'number' && Number.isSafeInteger(owner) ? String(owner) : owner;
    if (typeof ownerText !== 'string' || ownerText.trim() === '') {
      throw new AuthenticationError(`The token has no "${this.ownerClaim}" claim to identify the caller`, {
        invalidToken: true,
      });
    }
    if (ownerText.length > MAX_OWNER_LENGTH) {
      throw new AuthenticationError(`The token's "${this.ownerClaim}" claim is longer than ${MAX_OWNER_LENGTH}`, {
        invalidToken: true,
      });
    }
    return { owner: ownerText.trim(), roles: rolesOf(claimAt(payload, this.rolesClaim)) };
  }

  private async verify(token: string): Promise<JWTPayload> {
    const verify = await (this.verifier ??= this.buildVerifier());
    try {
      return await verify(token);
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** jose is an ES module, loaded on the first token: a process that verifies none never loads it. */
  private async buildVerifier(): Promise<Verifier> {
    const jose: Jose = await import('jose');
    const { secret, jwksUrl } = this.options;
    const verifyOptions = {
      algorithms: this.options.algorithms ?? (secret ? HMAC_ALGORITHMS : PUBLIC_KEY_ALGORITHMS),
      issuer: this.options.issuer,
      audience: this.options.audience,
      clockTolerance: this.options.clockToleranceSeconds ?? 5,
    };
    if (secret) {
      const key = new TextEncoder().encode(secret);
      return async (token) => (await jose.jwtVerify(token, key, verifyOptions)).payload;
    }
    const keySet = jose.createRemoteJWKSet(new URL(jwksUrl!), {
      cacheMaxAge: this.options.jwksCacheMaxAgeMs ?? 600_000,
      cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
      timeoutDuration: this.options.jwksTimeoutMs ?? 5_000,
    });
    const getKey: JWTVerifyGetKey = async (header, input) => {
      try {
        return await keySet(header, input);
      } catch (error) {
        if (TOKEN_KEY_ERRORS.has(codeOf(error))) throw error;
        throw new JwksUnavailable(error);
      }
    };
    return async (token) => (await jose.jwtVerify(token, getKey, verifyOptions)).payload;
  }

  private refusal(error: unknown): Error {
    if (error instanceof JwksUnavailable) {
      this.logger.warn(`the JWKS at ${this.options.jwksUrl} cannot be read: ${describe(error.cause)}`);
      return new ServiceUnavailableException('The keys that verify tokens cannot be read right now; retry later');
    }
    const invalid = (message: string) => new AuthenticationError(message, { invalidToken: true });
    const code = codeOf(error);
    switch (code) {
      case 'ERR_JWT_EXPIRED':
        return invalid('The token has expired');
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
        const claim = (error as { claim?: unknown }).claim;
        const name = typeof claim === 'string' ? claim : 'a';
        return invalid(name === 'nbf' ? 'The token is not valid yet' : `The token's "${name}" claim is not accepted`);
      }
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
        return invalid('The token signature is invalid');
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return invalid('The token is signed with an algorithm that is not accepted');
      case 'ERR_JWKS_NO_MATCHING_KEY':
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return invalid('No key of the issuer matches the token');
      default:
        // Malformed (ERR_JWS_INVALID, ERR_JWT_INVALID), unsupported: nothing more worth telling.
        return invalid('The token is not a valid JWT');
    }
  }
}

/** The JWKS endpoint failed (network, timeout, not 200, not a key set): a 503, not the caller's fault. */
class JwksUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('JWKS unavailable');
  }
}

/** Checks the options of the `jwt` scheme. @throws Error naming each problem. */
export function assertJwtOptions(options: JwtAuthOptions): void {
  const problems: string[] = [];
  const { secret, jwksUrl } = options;
  if (Boolean(secret) === Boolean(jwksUrl)) problems.push('give exactly one of auth.secret and auth.jwksUrl');
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < MIN_JWT_SECRET_LENGTH)) {
    problems.push(`auth.secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  if (jwksUrl !== undefined && !isHttpUrl(jwksUrl)) problems.push('auth.jwksUrl must be an http(s):// URL');
  for (const name of ['ownerClaim', 'rolesClaim'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      problems.push(`auth.${name} must be a claim name`);
    }
  }
  if (options.algorithms !== undefined) {
    const allowed = secret ? HMAC_ALGORITHMS : PUBLIC_KEY_ALGORITHMS;
    const bad = options.algorithms.filter((a) => !allowed.includes(a));
    if (options.algorithms.length === 0 || bad.length > 0) {
      problems.push(`auth.algorithms must be some of ${allowed.join(', ')} with ${secret ? 'a secret' : 'a JWKS'}`);
    }
  }
  if (problems.length > 0) throw new Error(`Stepwise: ${problems.join('; ')}`);
}

function isHttpUrl(value: unknown): boolean {
  try {
    return typeof value === 'string' && ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** The claim named `name`, or else the value at its dotted path. */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function rolesOf(claim: unknown): string[] {
  const list = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  return [...new Set(list.filter((role): role is string => typeof role === 'string' && role !== ''))];
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = error instanceof Error ? error.message : String(error);
  return cause instanceof Error ? `${text} (${cause.message})` : text;
}
