import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { resolveOwner, type OwnerRequest, type OwnerResolver } from '../core/owner-resolver';
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
