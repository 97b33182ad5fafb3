import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { resolveCaller, type Caller, type OwnerRequest, type OwnerResolver } from '../core/owner-resolver';
import { OWNER_RESOLVER } from '../core/tokens';

// One resolution per HTTP request: the rate limit's guard and the handler's pipes ask the same question.
const resolved = new WeakMap<OwnerRequest, { resolver: OwnerResolver; caller: Promise<Caller> }>();

/**
 * The request's caller by {@link resolveCaller}, resolved once per request
 * object and resolver (a refusal too: the same request is refused again).
 */
export function requestCaller(resolver: OwnerResolver, request: OwnerRequest): Promise<Caller> {
  const known = resolved.get(request);
  if (known?.resolver === resolver) return known.caller;
  const caller = resolveCaller(resolver, request);
  // Not an unhandled rejection when only the guard asked (a refused caller is then counted by address).
  caller.catch(() => {});
  resolved.set(request, { resolver, caller });
  return caller;
}

/**
 * Turns the request into its owner with the configured {@link OwnerResolver}.
 * A pipe, so the resolver comes from DI and may be async or throw 401.
 */
@Injectable()
export class ResolveOwnerPipe implements PipeTransform<OwnerRequest, Promise<string>> {
  constructor(@Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver) {}

  transform(request: OwnerRequest): Promise<string> {
    return requestCaller(this.resolver, request).then((caller) => caller.owner);
  }
}

/** Turns the request into its {@link Caller} (owner and roles) with the configured {@link OwnerResolver}. */
@Injectable()
export class ResolveCallerPipe implements PipeTransform<OwnerRequest, Promise<Caller>> {
  constructor(@Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver) {}

  transform(request: OwnerRequest): Promise<Caller> {
    return requestCaller(this.resolver, request);
  }
}
