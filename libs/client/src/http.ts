import { StepwiseError } from './stepwise-error';
import type { RequestOptions } from './types';

/** Static headers, or a function called before every request (a fresh token, for example). */
export type HeadersSource = Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * What `fetch` accepts as a body. Spelled from `RequestInit` rather than the
 * DOM's `BodyInit`, which Node's types do not declare: a Node project
 * type-checks the client without the DOM library.
 */
export type RequestBody = NonNullable<RequestInit['body']>;

/** One request of {@link HttpTransport.send}. */
export interface HttpCall extends RequestOptions {
  method: string;
  /** Path under the base URL, starting with `/`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: RequestBody;
  /** Streamed request bodies need `duplex: 'half'` (Node's fetch). */
  duplex?: 'half';
  accept?: string;
}

/**
 * The REST side of the client: builds URLs under the base URL, merges
 * headers, and turns every non-2xx answer into a {@link StepwiseError}.
 * Network failures reject with what `fetch` threw.
 */
export class HttpTransport {
  private readonly base: string;

  constructor(
    baseUrl: string | URL,
    private readonly headers: HeadersSource | undefined,
    private readonly fetchImpl: FetchLike,
  ) {
    this.base = String(baseUrl).replace(/\/+$/, '');
  }

  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.append(name, String(value));
    const search = params.toString();
    return `${this.base}${path}${search ? `?${search}` : ''}`;
  }

  /** The client's headers, resolved now. */
  async baseHeaders(): Promise<Record<string, string>> {
    if (!this.headers) return {};
    return typeof this.headers === 'function' ? { ...(await this.headers()) } : { ...this.headers };
  }

  /** Sends the call; resolves with a 2xx answer, rejects with a {@link StepwiseError} otherwise. */
  async send(call: HttpCall): Promise<Response> {
    const url = this.url(call.path, call.query);
    const headers = new Headers(await this.baseHeaders());
    if (call.accept && !headers.has('accept')) headers.set('accept', call.accept);
    for (const [name, value] of Object.entries(call.headers ?? {})) headers.set(name, value);
    const init: RequestInit & { duplex?: 'half' } = { method: call.method, headers, signal: call.signal };
    if (call.body !== undefined) init.body = call.body;
    if (call.duplex) init.duplex = call.duplex;
    const response = await this.fetchImpl(url, init);
    if (response.ok) return response;
    throw await StepwiseError.fromResponse(response, { method: call.method, url });
  }

  /** {@link send}, then the JSON body (undefined for an empty one). */
  async json<T>(call: HttpCall): Promise<{ body: T; response: Response }> {
    const response = await this.send({ accept: 'application/json', ...call });
    const text = await response.text();
    return { body: (text === '' ? undefined : JSON.parse(text)) as T, response };
  }
}
