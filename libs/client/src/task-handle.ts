import type { HttpTransport } from './http';
import type { SocketHub } from './socket-hub';
import { isTransientStatus, StepwiseError } from './stepwise-error';
import { TaskEventStream } from './task-event-stream';
import {
  isTerminalEvent,
  isTerminalStatus,
  type DoneOptions,
  type DownloadOptions,
  type PollOptions,
  type RequestOptions,
  type Submission,
  type TaskAuditView,
  type TaskResult,
  type TaskView,
} from './types';

/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a handle shares with its client. */
export interface ClientContext {
  readonly http: HttpTransport;
  readonly hub: SocketHub;
  readonly poll: Required<PollOptions>;
  /** Aborted by `close()`. */
  readonly lifetime: AbortSignal;
}

/**
 * One task on the server, by id. Cheap to create; holds no connection
 * until {@link events} or {@link done} is used.
 */
export class TaskHandle {
  constructor(
    /** The task's id. */
    readonly id: string,
    private readonly ctx: ClientContext,
    /** What the server answered to the submit, for a handle that {@link StepwiseClient.submit} returned. */
    readonly submission?: Submission,
  ) {}

  private get path(): string {
    return `/tasks/${encodeURIComponent(this.id)}`;
  }

  /** `GET /tasks/{id}`: status, progress and steps. */
  async status(options: RequestOptions = {}): Promise<TaskView> {
    const { body } = await this.ctx.http.json<TaskView>({ method: 'GET', path: this.path, ...options });
    return body;
  }

  /**
   * `GET /tasks/{id}/audit`: a page of the task's whole event log, oldest
   * first, each entry with who asked for it (`actor`). Pass the page's
   * `nextAfter` as `after` for the next one.
   */
  async audit(query: { after?: number; limit?: number } = {}, options: RequestOptions = {}): Promise<TaskAuditView> {
    const { body } = await this.ctx.http.json<TaskAuditView>({
      method: 'GET',
      path: `${this.path}/audit`,
      query: { after: query.after, limit: query.limit },
      ...options,
    });
    return body;
  }

  /**
   * `GET /tasks/{id}/result`: the output of a completed task. Before that,
   * and for a task that failed or was cancelled, a {@link StepwiseError}
   * with `statusCode` 409 whose `taskStatus` (and `taskError`) say why.
   */
  async result<T = unknown>(options: RequestOptions = {}): Promise<TaskResult<T>> {
    const { body } = await this.ctx.http.json<TaskResult<T>>({
      method: 'GET',
      path: `${this.path}/result`,
      ...options,
    });
    return body;
  }

  /**
   * `POST /tasks/{id}/cancel`: running steps are aborted, finished ones
   * compensated. Resolves with the task as it is now (the cancel completes
   * asynchronously: {@link done} then rejects with `taskStatus` `cancelled`).
   * A {@link StepwiseError} 409 when the task already ended.
   */
  async cancel(options: RequestOptions = {}): Promise<TaskView> {
    const { body } = await this.ctx.http.json<TaskView>({ method: 'POST', path: `${this.path}/cancel`, ...options });
    return body;
  }

  /**
   * `POST /tasks/{id}/retry`: a `failed` task runs again from the step that
   * failed, keeping the outputs of the steps that completed; resolves with
   * the task, `pending` again. A {@link StepwiseError} 409 unless it failed.
   */
  async retry(options: RequestOptions = {}): Promise<TaskView> {
    const { body } = await this.ctx.http.json<TaskView>({ method: 'POST', path: `${this.path}/retry`, ...options });
    return body;
  }

  /**
   * `POST /tasks/{id}/signals/{name}`: sends the signal a step of the task
   * waits for (`ctx.waitForSignal(name)`), `payload` as its JSON body. A
   * task waiting for it wakes; one not waiting yet keeps it for the step that
   * will. A {@link StepwiseError} 400 for a signal the task type does not
   * declare or a payload its schema refuses, 409 when the task already ended.
   */
  async signal(name: string, payload?: unknown, options: RequestOptions = {}): Promise<TaskView> {
    const { body } = await this.ctx.http.json<TaskView>({
      method: 'POST',
      path: `${this.path}/signals/${encodeURIComponent(name)}`,
      ...options,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(payload ?? null),
    });
    return body;
  }

  /**
   * `DELETE /tasks/{id}`: a finished task is deleted at once (resolves with
   * null); an unfinished one is cancelled, compensated, then deleted (resolves
   * with the task as it is now, its `cancelRequested` set).
   */
  async delete(options: RequestOptions = {}): Promise<TaskView | null> {
    const response = await this.ctx.http.send({ method: 'DELETE', path: this.path, ...options });
    const text = await response.text();
    return response.status === 202 && text ? (JSON.parse(text) as TaskView) : null;
  }

  /**
   * `GET /tasks/{id}/download`: the task's result file, as the `fetch`
   * `Response` (status 200, or 206 for a `range`), its body not yet read:
   * `await response.arrayBuffer()`, or stream it (in Node:
   * `Readable.fromWeb(response.body)`), and `Content-Disposition` names the file.
   * A {@link StepwiseError} when the task has no file (409 before completion).
   */
  download(options: DownloadOptions = {}): Promise<Response> {
    const { range, headers, ...rest } = options;
    return this.ctx.http.send({
      method: 'GET',
      path: `${this.path}/download`,
      accept: '*/*',
      headers: { ...headers, ...(range ? { range } : {}) },
      ...rest,
    });
  }

  /**
   * The task's live events over Socket.IO (the client's one shared
   * connection, opened on first use). Subscribes on the first `next()`;
   * yields the events as they come, and ends after the terminal one
   * (`task.completed`, `task.failed`, `task.cancelled`).
   *
   * A task that is already finished, or finishes while the connection is
   * down, yields one terminal event derived from the subscription's snapshot
   * (`synthetic: true`), so `for await` never hangs on a finished task.
   * Progress events are throttled by the server: not every step of progress
   * is seen, but it never goes backwards. `break` (or `return()`)
   * unsubscribes. Throws a {@link StepwiseError} when the server refuses the
   * subscription (an unknown task), an `Error` when it refuses the connection.
   * `subscribed()` resolves with the task's snapshot once the subscription
   * is acknowledged.
   */
  events(): TaskEventStream {
    return new TaskEventStream(this.id, this.ctx.hub);
  }

  /**
   * Waits for the task to end. Resolves with its output once completed;
   * rejects with a {@link StepwiseError} (`statusCode` 409, `taskStatus`
   * `failed` or `cancelled`, `taskError` the task's error) otherwise.
   *
   * Listens to {@link events} and, as a fallback, polls `GET /tasks/{id}`
   * (see {@link PollOptions}): often while the socket is down or refused,
   * rarely while it is live. Polling tolerates transient failures (network,
   * 5xx, 408, 429) and rejects on any other error answer, a 404 for example.
   */
  async done<T = unknown>(options: DoneOptions = {}): Promise<T> {
    await this.settled(options);
    try {
      return (await this.result<T>({ signal: options.signal })).output;
    } catch (error) {
      if (StepwiseError.is(error) && error.taskStatus && isTerminalStatus(error.taskStatus)) {
        throw taskEndError(this.id, error);
      }
      throw error;
    }
  }

  /** Resolves once the task is terminal, by event or by poll, whichever comes first. */
  private settled({ signal, poll = {} }: DoneOptions): Promise<void> {
    const intervalMs = poll.intervalMs ?? this.ctx.poll.intervalMs;
    const whileLiveMs = poll.whileLiveMs ?? this.ctx.poll.whileLiveMs;
    const { hub, lifetime } = this.ctx;
    return new Promise<void>((resolve, reject) => {
      let finished = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Lazy: subscribes on its first next().
      const stream = new TaskEventStream(this.id, hub);
      const onAbort = () => finish(signal?.reason ?? new Error('Aborted'));
      const onClose = () => finish(new Error('StepwiseClient is closed'));
      const finish = (error?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        lifetime.removeEventListener('abort', onClose);
        void stream.return();
        if (error === undefined) resolve();
        else reject(error);
      };
      if (signal?.aborted) return onAbort();
      if (lifetime.aborted) return onClose();
      signal?.addEventListener('abort', onAbort, { once: true });
      lifetime.addEventListener('abort', onClose, { once: true });

      void (async () => {
        try {
          for await (const event of stream) if (isTerminalEvent(event)) return finish();
        } catch (error) {
          // A refused subscription (unknown task) is final; a refused connection leaves polling to it.
          if (StepwiseError.is(error) && !isTransientStatus(error.statusCode)) finish(error);
        }
      })();

      // Wakes at the shorter period; polls when the period of the current state (live or not) has passed.
      const tick = Math.min(intervalMs, whileLiveMs);
      if (!Number.isFinite(tick)) return;
      let lastPoll = Date.now();
      const schedule = () => {
        if (!finished) timer = setTimeout(check, Math.min(Math.max(0, tick), MAX_TIMER_MS));
      };
      const check = async () => {
        if (finished) return;
        const due = hub.isLive(this.id) ? whileLiveMs : intervalMs;
        if (Date.now() - lastPoll >= due) {
          lastPoll = Date.now();
          try {
            if (isTerminalStatus((await this.status({ signal })).status)) return finish();
          } catch (error) {
            if (StepwiseError.is(error) && !isTransientStatus(error.statusCode)) return finish(error);
            // Network failure or 5xx: the next poll, or an event, will tell.
          }
        }
        schedule();
      };
      schedule();
    });
  }
}

/** `done()`'s error for a task that failed or was cancelled: the task's own error in the message. */
function taskEndError(id: string, error: StepwiseError): StepwiseError {
  const cause = error.taskError;
  const verb = error.taskStatus === 'cancelled' ? 'was cancelled' : 'failed';
  const reason = cause?.message ? `: ${cause.message}` : '';
  return new StepwiseError(
    {
      statusCode: error.statusCode,
      error: error.error,
      message: `Task ${id} ${verb}${reason}`,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
    { method: error.method, url: error.url, headers: error.headers, cause: error },
  );
}
