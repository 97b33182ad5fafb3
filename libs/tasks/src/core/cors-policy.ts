import type { IncomingHttpHeaders } from 'node:http';

/**
 * Cross-origin access (`cors` in the module options, `TASKS_CORS_ORIGINS`):
 * which other origins' pages may call the REST routes, the tus uploads and
 * Socket.IO from a browser. Default: none (same origin only; no CORS header
 * is ever sent).
 */
export interface CorsOptions {
  /** Allowed origins, exactly as browsers send them (`https://app.example.com`, `http://localhost:5173`), or `'*'`: any. */
  origins: readonly string[] | '*';
  /**
   * Let those pages send cookies and HTTP authentication
   * (`Access-Control-Allow-Credentials`). Default false: a bearer token or
   * API key in a header needs no credentials mode. Not with `'*'`.
   */
  credentials?: boolean;
  /** Request headers allowed beyond Stepwise's own (Authorization, X-Api-Key, Idempotency-Key...), e.g. `X-Owner-Id`. */
  allowedHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer, in seconds. Default 600. */
  maxAgeSeconds?: number;
}

/** Request headers Stepwise's routes read; `allowedHeaders` adds to them. */
export const CORS_ALLOWED_HEADERS = [
  'Accept',
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'If-Range',
  'Last-Event-ID',
  'Range',
  'X-Api-Key',
  'X-Requested-With',
];
/** Response headers a cross-origin page may read. */
export const CORS_EXPOSED_HEADERS = [
  'Content-Disposition',
  'Content-Length',
  'Content-Range',
  'Accept-Ranges',
  'ETag',
  'Idempotent-Replayed',
  'Location',
  'Retry-After',
  'Singleton-Replayed',
  'WWW-Authenticate',
  'X-Total-Count',
];
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What a feature adds to the shared policy (tus: its own headers). */
export interface CorsRouteHeaders {
  allowed?: readonly string[];
  exposed?: readonly string[];
}

/**
 * The configured cross-origin policy, shared by REST (a middleware), tus and
 * the Socket.IO server. Pure: it reads header values and answers headers.
 */
export class CorsPolicy {
  /** Off: same origin only. */
  static readonly NONE = new CorsPolicy(undefined);

  private readonly origins: ReadonlySet<string> | '*' | null;
  readonly credentials: boolean;
  private readonly allowedHeaders: readonly string[];
  private readonly maxAgeSeconds: number;

  /** @throws Error naming what is wrong with `options`. */
  constructor(options: CorsOptions | undefined) {
    this.credentials = options?.credentials === true;
    this.allowedHeaders = [...CORS_ALLOWED_HEADERS, ...(options?.allowedHeaders ?? [])];
    this.maxAgeSeconds = options?.maxAgeSeconds ?? 600;
    if (!options) {
      this.origins = null;
      return;
    }
    if (options.origins === '*') {
      if (this.credentials) {
        throw new Error("Stepwise: cors.credentials cannot be used with origins '*': list the origins");
      }
      this.origins = '*';
    } else if (Array.isArray(options.origins)) {
      this.origins = new Set(options.origins.map(normalizeOrigin));
    } else {
      throw new Error("Stepwise: cors.origins must be a list of origins or '*'");
    }
    const badHeader = this.allowedHeaders.find((name) => !HEADER_NAME.test(name));
    if (badHeader !== undefined)
      throw new Error(`Stepwise: cors.allowedHeaders: ${JSON.stringify(badHeader)} is no header name`);
    if (!Number.isSafeInteger(this.maxAgeSeconds) || this.maxAgeSeconds < 0) {
      throw new Error('Stepwise: cors.maxAgeSeconds must be an integer >= 0');
    }
  }

  /** Whether cross-origin access is configured at all. */
  get enabled(): boolean {
    return this.origins !== null;
  }

  /** Whether a page of `origin` may call (a listed origin, or any with `'*'`). */
  allows(origin: string | undefined): boolean {
    if (!origin || this.origins === null) return false;
    return this.origins === '*' || this.origins.has(origin);
  }

  /**
   * Whether a Socket.IO handshake may go on: no `Origin` (not a browser),
   * the server's own origin (its `Host`, or `X-Forwarded-Host` behind a
   * proxy), or an allowed one. Browsers never apply CORS to a WebSocket:
   * this is what keeps another site's page from opening one.
   */
  admitsHandshake(headers: IncomingHttpHeaders): boolean {
    const origin = first(headers.origin);
    if (origin === undefined) return true;
    return this.allows(origin) || isSameOrigin(origin, headers);
  }

  /**
   * The CORS headers of an answer to a request from `origin`: none for a
   * request without `Origin` or from an origin not allowed. A preflight's
   * answer also lists the methods and headers allowed.
   */
  headersFor(
    origin: string | undefined,
    options: { preflight?: boolean; route?: CorsRouteHeaders } = {},
  ): Record<string, string> {
    if (!this.allows(origin)) return {};
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': this.origins === '*' ? '*' : origin!,
    };
    if (this.credentials) headers['Access-Control-Allow-Credentials'] = 'true';
    if (options.preflight) {
      headers['Access-Control-Allow-Methods'] = METHODS;
      headers['Access-Control-Allow-Headers'] = [...this.allowedHeaders, ...(options.route?.allowed ?? [])].join(', ');
      headers['Access-Control-Max-Age'] = String(this.maxAgeSeconds);
    } else {
      headers['Access-Control-Expose-Headers'] = [...CORS_EXPOSED_HEADERS, ...(options.route?.exposed ?? [])].join(
        ', ',
      );
    }
    return headers;
  }
}

/** `https://app.example.com` from `https://App.example.com:443/`, refusing paths, queries and non-HTTP schemes. */
function normalizeOrigin(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value.trim()) : undefined;
  } catch {
    url = undefined;
  }
  const bare =
    url &&
    ['http:', 'https:'].includes(url.protocol) &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password;
  if (!bare) {
    throw new Error(
      `Stepwise: cors.origins: ${JSON.stringify(value)} is no origin (scheme://host[:port], no path), e.g. https://app.example.com`,
    );
  }
  return url!.origin;
}

function isSameOrigin(origin: string, headers: IncomingHttpHeaders): boolean {
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false; // `null` (sandboxed frames, files) is nobody's origin
  }
  const candidates = [first(headers.host), ...(first(headers['x-forwarded-host'])?.split(',') ?? [])];
  return candidates.some((candidate) => candidate !== undefined && candidate.trim().toLowerCase() === host);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
