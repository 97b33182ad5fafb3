import { Inject, Injectable, UnauthorizedException, type PipeTransform } from '@nestjs/common';
import type { OwnerRequest, OwnerResolver } from '../nest/owner-resolver';
import { OWNER_RESOLVER } from '../nest/tokens';

/**
 * Turns the request into its owner with the configured {@link OwnerResolver}.
 * A pipe, so the resolver comes from DI and may be async or throw 401.
 */
@Injectable()
export class ResolveOwnerPipe implements PipeTransform<OwnerRequest, Promise<string>> {
  constructor(@Inject(OWNER_RESOLVER) private readonly resolver: OwnerResolver) {}

  async transform(request: OwnerRequest): Promise<string> {
    const owner = await this.resolver.resolve(request);
    // An empty owner would scope nothing: refuse rather than share tasks.
    if (typeof owner !== 'string' || owner === '') throw new UnauthorizedException('No owner for this request');
    return owner;
  }
}
