import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The shipped API's security headers on every route (helmet): no MIME
 * sniffing, no framing (`frame-ancestors 'none'` and `X-Frame-Options: DENY`),
 * a same-origin Content-Security-Policy, no `X-Powered-By`, a referrer kept
 * to the origin, cross-origin isolation of windows and resources; HSTS
 * once served over HTTPS. The dashboard's pages send a stricter CSP of their
 * own; Swagger UI (`/docs`) passes this one (it needs inline styles).
 * `upgrade-insecure-requests` is left out: the API is plain HTTP unless a
 * proxy in front of it terminates TLS, and the directive would break it.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'upgrade-insecure-requests': null,
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  }) as RequestHandler;
}
