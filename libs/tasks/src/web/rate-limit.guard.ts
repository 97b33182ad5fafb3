import {
  applyDecorators,
  Inject,
  Injectable,
  Optional,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AnonymousOwnerResolver, type OwnerResolver } from '../core/owner-resolver';
import type { RateLimitClass, RateLimiter } from '../core/rate-limiter';
import { OWNER_RESOLVER, RATE_LIMITER } from '../core/tokens';
import { ApiError } from './http-error';
import { requestCaller } from './resolve-owner.pipe';

const RATE_LIMIT_CLASS = 'stepwise:rate-limit-class';

/**
 * Rate limits the routes of a controller (`rateLimit` of the module): its
 * GET routes count as `read`, or, with `'upload'`, its POST and PATCH as
 * `upload`; {@link RateLimitAs} puts a handler in another class.
 */
export const RateLimited = (kind?: 'upload'): ClassDecorator =>
  applyDecorators(SetMetadata(RATE_LIMIT_CLASS, kind ?? null), UseGuards(RateLimitGuard));

/** The handler counts as `kind` (its controller is {@link RateLimited}). */
export const RateLimitAs = (kind: RateLimitClass): MethodDecorator => SetMetadata(RATE_LIMIT_CLASS, kind);

/**
 * Counts the request against its class's limit, per caller owner (per IP
 * when the caller is anonymous or not identified: the handler then answers
 * the 401), and refuses it over the limit with `429` and `Retry-After`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(OWNER_RESOLVER) private readonly owners: OwnerResolver,
    @Optional() @Inject(RATE_LIMITER) private readonly limiter: RateLimiter | null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.limiter || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const kind = this.classOf(context, request.method);
    if (!kind || !this.limiter.limits[kind]) return true;
    const verdict = await this.limiter.hit(kind, await this.callerKey(request));
    if (!verdict || verdict.allowed) return true;
    const { limit, ttlMs } = verdict.limit;
    throw new ApiError(
      429,
      `Rate limit of ${kind} requests exceeded (${limit} per ${ttlMs} ms): retry after ${verdict.retryAfterSeconds} s`,
      undefined,
      { 'Retry-After': String(verdict.retryAfterSeconds) },
    );
  }

  private classOf(context: ExecutionContext, method: string): RateLimitClass | null {
    const handler = this.reflector.get<RateLimitClass | null | undefined>(RATE_LIMIT_CLASS, context.getHandler());
    if (handler) return handler;
    const onClass = this.reflector.get<RateLimitClass | null | undefined>(RATE_LIMIT_CLASS, context.getClass());
    if (onClass === 'upload') return method === 'POST' || method === 'PATCH' ? 'upload' : null;
    return method === 'GET' ? 'read' : null;
  }

  private async callerKey(request: Request): Promise<string> {
    if (!(this.owners instanceof AnonymousOwnerResolver)) {
      try {
        return `owner:${(await requestCaller(this.owners, request)).owner}`;
      } catch {
        // Not identified: counted by address, and refused by the handler.
      }
    }
    return `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
  }
}
