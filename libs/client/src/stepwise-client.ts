import type { Socket } from 'socket.io-client';
import { HttpTransport, type FetchLike, type HeadersSource } from './http';
import { encodeMultipart } from './multipart';
import { SchedulesClient } from './schedules-client';
import { SocketHub, type SocketConnectionOptions } from './socket-hub';
import { TaskHandle, type ClientContext } from './task-handle';
import type {
  DeleteFinishedFilter,
  DeleteFinishedView,
  ListQuery,
  PollOptions,
  RequestOptions,
  RetryFailedFilter,
  RetryFailedView,
  SubmitOptions,
  TaskListView,
  TaskPage,
  TaskStatsView,
  TaskView,
} from './types';

/** Options of a {@link StepwiseClient}. */
export interface StepwiseClientOptions {
  /**
   * Where the Stepwise API is mounted: `http://localhost:3000`, or
   * `https://example.com/api` under a global prefix (tasks are then at
   * `/api/tasks`). The Socket.IO server is looked for at its origin.
   */
  baseUrl: string | URL;
  /** Headers sent with every request (and the Socket.IO handshake): static, or a function called each time. */
  headers?: HeadersSource;
  /** A `fetch` to use instead of the global one. */
  fetch?: FetchLike;
  /** Socket.IO settings for {@link TaskHandle.events} and {@link TaskHandle.done}. */
  socket?: SocketConnectionOptions;
  /** Polling fallback of {@link TaskHandle.done}. */
  poll?: PollOptions;
}

const DEFAULT_POLL: Required<PollOptions> = { intervalMs: 2_000, whileLiveMs: 30_000 };

/**
 * A client of a Stepwise server's REST API and Socket.IO events, for Node
 * 20+ and browsers. Depends only on `fetch` and `socket.io-client`.
 *
 * ```ts
 * const client = new StepwiseClient({ baseUrl: 'http://localhost:3000' });
 * const task = await client.submit('countdown', { ticks: 5, tickMs: 200 });
 * for await (const event of task.events()) console.log(event.event, event.progress);
 * console.log(await task.done()); // { ticks: 5 }
 * client.close();
 * ```
 *
 * Every non-2xx answer rejects with a {@link StepwiseError}; network
 * failures reject with what `fetch` threw. One Socket.IO connection is
 * shared by all event streams, opened on first use, reconnected
 * automatically; {@link close} ends it.
 */
export class StepwiseClient {
  private readonly ctx: ClientContext;
  private readonly http: HttpTransport;
  private readonly hub: SocketHub;
  private readonly lifetime = new AbortController();
  /** The caller's cron schedules: `client.schedules.create({ name, type, cron })`, `.list()`, `.pause(name)`... */
  readonly schedules: SchedulesClient;

  constructor(options: StepwiseClientOptions) {
    const baseUrl = String(options.baseUrl);
    // Fails now, not at the first call, on a relative or malformed URL.
    new URL(baseUrl);
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.http = new HttpTransport(baseUrl, options.headers, fetchImpl);
    this.hub = new SocketHub(baseUrl, options.socket ?? {}, () => this.http.baseHeaders());
    this.ctx = {
      http: this.http,
      hub: this.hub,
      poll: { ...DEFAULT_POLL, ...options.poll },
      lifetime: this.lifetime.signal,
    };
    this.schedules = new SchedulesClient(this.http);
  }

  /**
   * `POST /tasks/{type}`: submits a task and returns its handle once the
   * server accepted it (`202`). JSON without `files`; multipart/form-data
   * with them (the input's one-line strings as fields, the rest as the JSON
   * field `input`), streamed when a file is a stream.
   *
   * With `idempotencyKey`, submitting again answers the first task
   * (`handle.submission.replayed`); with `singletonKey`, while an unfinished
   * task of the type holds the key, that task (`submission.singletonReplayed`)
   * or, with `singleton: 'conflict'`, a 409. A {@link StepwiseError} on a 4xx: 400
   * invalid input (`details` lists the fields), 404 unknown type, 413 too
   * large, 415 files for a type that takes none.
   */
  async submit(type: string, input?: unknown, options: SubmitOptions = {}): Promise<TaskHandle> {
    const { files, idempotencyKey, callbackUrl, singletonKey, singleton, runAt, delayMs, headers, signal } = options;
    const encoded =
      files && files.length > 0
        ? encodeMultipart(input, files)
        : input === undefined
          ? undefined
          : { body: JSON.stringify(input), headers: { 'content-type': 'application/json' } };
    const { body, response } = await this.http.json<TaskView>({
      method: 'POST',
      path: `/tasks/${encodeURIComponent(type)}`,
      query: { callbackUrl, singletonKey, singleton, runAt: isoTime(runAt), delayMs },
      headers: {
        ...encoded?.headers,
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
        ...headers,
      },
      body: encoded?.body,
      duplex: encoded && 'duplex' in encoded ? encoded.duplex : undefined,
      signal,
    });
    const replayed = response.headers.get('idempotent-replayed') === 'true';
    const singletonReplayed = response.headers.get('singleton-replayed') === 'true';
    return new TaskHandle(body.id, this.ctx, { task: body, replayed, singletonReplayed });
  }

  /** The handle of an existing task; makes no request. */
  task(id: string): TaskHandle {
    if (typeof id !== 'string' || id === '') throw new TypeError('A task id is a non-empty string');
    return new TaskHandle(id, this.ctx);
  }

  /** `POST /tasks/{id}/signals/{name}`: {@link TaskHandle.signal} of the task `id`. */
  signal(id: string, name: string, payload?: unknown, options: RequestOptions = {}): Promise<TaskView> {
    return this.task(id).signal(name, payload, options);
  }

  /** `GET /tasks`: one page of tasks, newest first; pass `nextCursor` back as `cursor` for the next. */
  async list(query: ListQuery = {}, options: RequestOptions = {}): Promise<TaskPage> {
    const { body, response } = await this.http.json<TaskListView>({
      method: 'GET',
      path: '/tasks',
      query: { type: query.type, status: query.status, limit: query.limit, cursor: query.cursor },
      ...options,
    });
    const header = response.headers.get('x-total-count');
    const total = header === null || header.trim() === '' ? Number.NaN : Number(header);
    return { items: body.items, nextCursor: body.nextCursor, total: Number.isFinite(total) ? total : undefined };
  }

  /**
   * `GET /tasks/stats`: counts of the caller's tasks by status and by type
   * (every owner's for an administrator), and how long the oldest pending
   * task has waited.
   */
  async stats(options: RequestOptions = {}): Promise<TaskStatsView> {
    const { body } = await this.http.json<TaskStatsView>({ method: 'GET', path: '/tasks/stats', ...options });
    return body;
  }

  /**
   * `POST /tasks/retry`: re-opens the caller's failed tasks that match (after
   * a deploy that fixed the bug), each from the step that failed; resolves
   * with how many. One task: {@link TaskHandle.retry}.
   */
  async retryFailed(filter: RetryFailedFilter = {}, options: RequestOptions = {}): Promise<number> {
    const { body } = await this.http.json<RetryFailedView>({
      method: 'POST',
      path: '/tasks/retry',
      query: {
        type: filter.type,
        finishedAfter: isoTime(filter.finishedAfter),
        finishedBefore: isoTime(filter.finishedBefore),
      },
      ...options,
    });
    return body.retried;
  }

  /**
   * `DELETE /tasks?...`: deletes the caller's finished tasks that match, with
   * their events, webhook rows and files; resolves with how many. A task that
   * is not finished is never deleted this way.
   */
  async deleteFinished(filter: DeleteFinishedFilter = {}, options: RequestOptions = {}): Promise<number> {
    const status = typeof filter.status === 'string' ? filter.status : filter.status?.join(',');
    const { body } = await this.http.json<DeleteFinishedView>({
      method: 'DELETE',
      path: '/tasks',
      query: { status, type: filter.type, finishedBefore: isoTime(filter.finishedBefore) },
      ...options,
    });
    return body.deleted;
  }

  /**
   * The Socket.IO connection, once an event stream opened it; for
   * diagnostics (`socket.connected`, `socket.io.on('reconnect', ...)`).
   */
  get socket(): Socket | undefined {
    return this.hub.socket;
  }

  /**
   * Disconnects the socket; event streams end, pending {@link TaskHandle.done}
   * calls reject. REST calls keep working; events do not. Idempotent.
   */
  close(): void {
    this.lifetime.abort();
    this.hub.close();
  }
}

/** A time as the API takes it: ISO 8601. */
function isoTime(time: Date | string | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}
