import type { OwnerRequest } from '../owner-resolver';

/** Longest credential read, in characters: anything longer is no key or token of ours. */
export const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * The credential a request presents, in this order: `Authorization: Bearer
 * <credential>`, the `X-Api-Key` header, or the Socket.IO handshake's
 * `auth.token` (a browser cannot set headers on a WebSocket). Undefined when
 * there is none, or it is blank or longer than {@link MAX_CREDENTIAL_LENGTH}.
 */
export function presentedCredential(request: OwnerRequest): string | undefined {
  const { headers, auth } = request;
  const authorization = first(headers.authorization);
  const bearer = authorization ? /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  const candidate = bearer ?? first(headers['x-api-key']) ?? (typeof auth?.token === 'string' ? auth.token : undefined);
  const value = candidate?.trim();
  return value && value.length <= MAX_CREDENTIAL_LENGTH ? value : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
