import type { ApiKeyStore } from '../../ports';

/**
 * `auth: { scheme: 'apikey' }` (`TASKS_AUTH=apikey`): callers present an API
 * key, created with `ApiKeys` (the apps' `npm run apikey`), kept hashed in
 * Stepwise's database.
 */
export interface ApiKeyAuthOptions {
  scheme: 'apikey';
  /** Where the keys live. Default: Stepwise's database (SQLite or PostgreSQL); memory when the task store is an override. */
  store?: ApiKeyStore;
}

/**
 * `auth: { scheme: 'jwt', ... }` (`TASKS_AUTH=jwt`): callers present a JSON
 * Web Token as `Authorization: Bearer <token>` (Socket.IO: `auth.token`),
 * verified with `jose` against `secret` (HMAC) or the keys of `jwksUrl`
 * (RSA, EC, EdDSA). Give exactly one of the two. The token's `exp` and `nbf`
 * are enforced; `issuer` and `audience` when set. Needs the `jose` package.
 */
export interface JwtAuthOptions {
  scheme: 'jwt';
  /** Shared secret of HS256/HS384/HS512 tokens, at least 32 characters (`TASKS_JWT_SECRET`). */
  secret?: string;
  /**
   * URL of the issuer's JSON Web Key Set (`TASKS_JWT_JWKS_URL`), e.g.
   * `https://login.example.com/.well-known/jwks.json`: fetched on first use,
   * cached (`jwksCacheMaxAgeMs`), fetched again for a key id it does not
   * know (at most once per `jwksCooldownMs`), so the issuer's key rotation
   * needs no restart.
   */
  jwksUrl?: string;
  /** Accepted `iss`, one or several (`TASKS_JWT_ISSUER`, comma-separated). Default: any. */
  issuer?: string | string[];
  /** Accepted `aud`: the token must name one of them (`TASKS_JWT_AUDIENCE`, comma-separated). Default: any. */
  audience?: string | string[];
  /**
   * Claim holding the owner (`TASKS_JWT_OWNER_CLAIM`). Default `sub`. A
   * dotted path reaches into objects (`user.id`) when no claim has that
   * exact name (Auth0's namespaced claims are URLs with dots).
   */
  ownerClaim?: string;
  /**
   * Claim holding the roles (`TASKS_JWT_ROLES_CLAIM`): an array of strings,
   * or one string of roles separated by spaces or commas (as `scope`).
   * Default `roles`; a dotted path as `ownerClaim` (Keycloak:
   * `realm_access.roles`). A token without it has no roles.
   */
  rolesClaim?: string;
  /**
   * Accepted signature algorithms. Default: `HS256`, `HS384`, `HS512` with
   * a secret; `RS256`... `PS512`, `ES256`, `ES384`, `ES512`, `EdDSA` with a JWKS.
   */
  algorithms?: string[];
  /** Leeway on `exp` and `nbf`, in seconds, for clocks that drift. Default 5. */
  clockToleranceSeconds?: number;
  /** A fetched JWKS is used this long before it is fetched again. Default 600000 (10 min). */
  jwksCacheMaxAgeMs?: number;
  /** Shortest time between two fetches of the JWKS (an unknown key id triggers one). Default 30000. */
  jwksCooldownMs?: number;
  /** A JWKS fetch slower than this fails (`503`). Default 5000. */
  jwksTimeoutMs?: number;
}

/** Built-in authentication: one scheme, instead of an `ownerResolver` of your own. */
export type AuthOptions = ApiKeyAuthOptions | JwtAuthOptions;
