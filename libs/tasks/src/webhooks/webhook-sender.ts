import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { guardedListeners } from '../web/guarded-listeners';
import { resolveTarget, type ResolveHost, type VettedTarget } from '../core/target-guard';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Per attempt: DNS, connection, TLS and the request, up to the answer's status line. */
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the attempt (shutdown). */
  signal?: AbortSignal;
  resolve?: ResolveHost;
}

/** The answer's status; redirects are answers like any other (never followed). */
export interface WebhookResponse {
  statusCode: number;
  location?: string;
}

/** The attempt ran out of time. */
export class WebhookTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'WebhookTimeoutError';
  }
}

/** The most of an answer's body that is read (then the connection is dropped). */
const MAX_DRAIN_BYTES = 64 * 1024;

/**
 * POSTs one webhook with `node:http(s)`: the host is resolved and vetted
 * once by {@link resolveTarget}, and the socket connects to that very
 * address (a `lookup` that answers it), while the Host header and TLS
 * server name stay the URL's. No redirect is followed. The status decides;
 * the timeout covers everything up to it, and still cuts a body that stalls
 * afterwards. Throws `TargetRefusedError` for a refused target.
 */
export async function sendWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  // One controller per attempt (not AbortSignal.any on the long-lived shutdown signal).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new WebhookTimeoutError(request.timeoutMs)), request.timeoutMs);
  timer.unref();
  const stop = request.signal;
  const onStop = () => controller.abort(stop?.reason);
  if (stop?.aborted) onStop();
  else stop?.addEventListener('abort', onStop, { once: true });
  const release = () => {
    clearTimeout(timer);
    stop?.removeEventListener('abort', onStop);
  };
  const signal = controller.signal;
  try {
    const url = new URL(request.url);
    const target = await abortable(resolveTarget(url, request), signal);
    // From here the request owns `release`: it runs when the exchange is over.
    return await post(url, target, request, signal, release);
  } catch (error) {
    release();
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

function post(
  url: URL,
  target: VettedTarget,
  request: WebhookRequest,
  signal: AbortSignal,
  release: () => void,
): Promise<WebhookResponse> {
  const https = url.protocol === 'https:';
  const options: RequestOptions = {
    method: 'POST',
    protocol: url.protocol,
    hostname: target.hostname,
    port: url.port || (https ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
    lookup: pinnedLookup(target.address, target.family),
    // A fresh connection per attempt: a pooled socket would skip the vetting of this one.
    agent: false,
    ...(url.username || url.password
      ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
      : {}),
  };
  const send = https ? httpsRequest : httpRequest;
  return new Promise<WebhookResponse>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const { on } = guardedListeners(reject);
    const req = send(options, (res: IncomingMessage) => {
      // The body is drained (a bounded part of it) so the receiver sees a clean exchange.
      let read = 0;
      on(res, 'data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_DRAIN_BYTES) res.destroy();
      });
      on(res, 'error', () => undefined);
      resolve({
        statusCode: res.statusCode ?? 0,
        ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
      });
    });
    const onAbort = () => req.destroy(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    on(req, 'close', () => {
      signal.removeEventListener('abort', onAbort);
      release();
    });
    // After the answer, a late error (the timeout cutting a stalled body) changes nothing.
    on(req, 'error', reject);
    req.end(request.body);
  });
}

/** A `lookup` that answers the vetted address whatever it is asked (one address, or `all`). */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
