import type { IncomingHttpHeaders } from 'node:http';

/** What an owner resolver sees of a request (HTTP, or a Socket.IO handshake). */
export interface OwnerRequest {
  headers: IncomingHttpHeaders;
  /** Set by authentication middleware, when there is one. */
  user?: unknown;
}

/**
 * Decides who the caller is. Every query is scoped by the answer: another
 * owner's task is a 404. Throw an `UnauthorizedException` to refuse.
 */
export interface OwnerResolver {
  resolve(request: OwnerRequest): string | Promise<string>;
}

/** Default: everybody is the same anonymous owner. */
export class AnonymousOwnerResolver implements OwnerResolver {
  resolve(): string {
    return 'anonymous';
  }
}

/** Reads the owner from a header (e.g. set by a trusted gateway); anonymous when absent. */
export class HeaderOwnerResolver implements OwnerResolver {
  constructor(private readonly header = 'x-owner-id') {}

  resolve(request: OwnerRequest): string {
    const value = request.headers[this.header];
    const owner = Array.isArray(value) ? value[0] : value;
    return owner && owner.length <= 200 ? owner : 'anonymous';
  }
}
