import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import {
  resolveCaller,
  resolveOwner,
  type Caller,
  type OwnerRequest,
  type OwnerResolver,
} from '../core/owner-resolver';
import { OWNER_RESOLVER } from '../core/tokens';

/**
 * Turns the request into its owner with the configured {@link OwnerResolver}.
 * A pipe, so the resolver comes from DI and may be async or throw 401.
 */
@Injectable()
export class ResolveOwnerPipe implements PipeTransform<OwnerRequest, Promise<string>> {
  constructor(@Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver) {}

  transform(request: OwnerRequest): Promise<string> {
    return resolveOwner(this.resolver, request);
  }
}

/** Turns the request into its {@link Caller} (owner and roles) with the configured {@link OwnerResolver}. */
@Injectable()
export class ResolveCallerPipe implements PipeTransform<OwnerRequest, Promise<Caller>> {
  constructor(@Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver) {}

  transform(request: OwnerRequest): Promise<Caller> {
    return resolveCaller(this.resolver, request);
  }
}
