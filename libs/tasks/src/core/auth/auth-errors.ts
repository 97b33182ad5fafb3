import { UnauthorizedException } from '@nestjs/common';

/** The realm every Stepwise challenge names. */
export const AUTH_REALM = 'stepwise';

/**
 * A refused credential: `401` whose `WWW-Authenticate` challenge says why
 * (RFC 6750: `error="invalid_token"` for a token that was presented and
 * refused, no error code when none was presented).
 */
export class AuthenticationError extends UnauthorizedException {
  /** The `WWW-Authenticate` value of the answer. */
  readonly challenge: string;

  constructor(message: string, options: { invalidToken?: boolean } = {}) {
    super(message);
    const description = message.replace(/["\\]/g, "'");
    this.challenge = options.invalidToken
      ? `Bearer realm="${AUTH_REALM}", error="invalid_token", error_description="${description}"`
      : `Bearer realm="${AUTH_REALM}"`;
  }
}
