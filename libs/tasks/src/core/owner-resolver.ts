import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedException } from '@nestjs/common';

/** What an owner resolver sees of a request (HTTP, or a Socket.IO handshake). */
export interface OwnerRequest {
  headers: IncomingHttpHeaders;
  /** Set by authentication middleware, when there is one. */
  user?: unknown;
  /**
   * The Socket.IO handshake's `auth` payload (`io(url, { auth: { token } })`):
   * a browser cannot set headers on a WebSocket, so its credential comes here.
   * Absent on HTTP requests.
   */
  auth?: Readonly<Record<string, unknown>>;
}

/**
 * Who is calling: the owner every query is scoped by, and the roles
 * authorization reads (`admin` sees every owner's tasks).
 */
export interface Caller {
  readonly owner: string;
  readonly roles: readonly string[];
}

/**
 * Decides who the caller is. Every query is scoped by the answer: another
 * owner's task is a 404. The answer is the owner (a string: no roles), or a
 * {@link Caller} with roles. A resolver that cannot identify the caller must
 * refuse, never fall back to a shared owner: throw an
 * `UnauthorizedException` (a `401` over HTTP, an `error` event and a
 * disconnect over Socket.IO). An empty owner is refused the same way.
 */
export interface OwnerResolver {
  resolve(request: OwnerRequest): string | Caller | Promise<string | Caller>;
}

/**
 * Default, when owner scoping is off (no `ownerResolver` configured):
 * everybody is the one `anonymous` owner, so that the embedded app works
 * with no configuration. Not a fallback of other resolvers.
 */
export class AnonymousOwnerResolver implements OwnerResolver {
  resolve(): string {
    return 'anonymous';
  }
}

/** Longest owner {@link HeaderOwnerResolver} accepts, in characters. */
export const MAX_OWNER_LENGTH = 200;

/**
 * Reads the owner from a header set by a trusted gateway (default
 * `x-owner-id`). A request without it, with an empty (or blank) one, or with
 * one longer than {@link MAX_OWNER_LENGTH} cannot be told apart from anybody
 * else's: it is refused with a 401, never given a shared owner.
 */
export class HeaderOwnerResolver implements OwnerResolver {
  constructor(private readonly header = 'x-owner-id') {}

  resolve(request: OwnerRequest): string {
    const value = request.headers[this.header.toLowerCase()];
    const owner = (Array.isArray(value) ? value[0] : value)?.trim();
    if (!owner) throw new UnauthorizedException(`Missing ${this.header} header: the caller is not identified`);
    if (owner.length > MAX_OWNER_LENGTH) {
      throw new UnauthorizedException(`${this.header} header is longer than ${MAX_OWNER_LENGTH} characters`);
    }
    return owner;
  }
}

/**
 * The caller of a request, by `resolver`, or an `UnauthorizedException`: what
 * every transport (REST, SSE, Socket.IO, tus) calls, so that none of them
 * accepts an answer that would scope nothing. Roles that are not strings
 * are dropped; the answer is frozen.
 */
export async function resolveCaller(resolver: OwnerResolver, request: OwnerRequest): Promise<Caller> {
  const answer: unknown = await resolver.resolve(request);
  const owner = typeof answer === 'string' ? answer : (answer as Partial<Caller> | null | undefined)?.owner;
  if (typeof owner !== 'string' || owner === '') throw new UnauthorizedException('No owner for this request');
  const roles: unknown = typeof answer === 'string' ? [] : (answer as Partial<Caller>).roles;
  return Object.freeze({
    owner,
    roles: Object.freeze(Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []),
  });
}

/** The owner alone, as {@link resolveCaller} resolves it. */
export async function resolveOwner(resolver: OwnerResolver, request: OwnerRequest): Promise<string> {
  return (await resolveCaller(resolver, request)).owner;
}
