import type { Caller, OwnerRequest, OwnerResolver } from '../owner-resolver';
import type { ApiKeys } from './api-keys';
import { AuthenticationError } from './auth-errors';
import { presentedCredential } from './credentials';

/**
 * `TASKS_AUTH=apikey`: the caller is the owner (and roles) of the API key it
 * presents, as `Authorization: Bearer <key>`, `X-Api-Key: <key>` or the
 * Socket.IO `auth.token`. No key, or one that is unknown, revoked or
 * malformed: `401`.
 */
export class ApiKeyOwnerResolver implements OwnerResolver {
  constructor(private readonly keys: ApiKeys) {}

  async resolve(request: OwnerRequest): Promise<Caller> {
    const credential = presentedCredential(request);
    if (!credential) {
      throw new AuthenticationError('Missing API key: send Authorization: Bearer <key> or X-Api-Key: <key>');
    }
    const key = await this.keys.verify(credential);
    if (!key) throw new AuthenticationError('Invalid or revoked API key', { invalidToken: true });
    return { owner: key.owner, roles: key.roles };
  }
}
