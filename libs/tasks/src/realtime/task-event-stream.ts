import type { Response } from 'express';
import { isTerminal, type TaskEvent, type TaskRecord } from '../model';
import { guardedListeners } from '../web/guarded-listeners';
import type { EventBus } from '../ports';
import { isPublicEvent, isTerminalEvent, toTaskEventView, type PublicTaskEvent } from './task-event-view';

/** Where a stream reads the task and its log; scoped to the caller's owner. */
export interface TaskEventSource {
  /** The task; throws a not-found error when it is gone (or never was the caller's). */
  get(): Promise<TaskRecord>;
  /** The log after `afterSeq` (all of it without). */
  events(afterSeq?: number): Promise<TaskEvent[]>;
}

export interface TaskEventStreamOptions {
  taskId: string;
  /** `Last-Event-ID`: only events after it are sent. */
  after: number | undefined;
  source: TaskEventSource;
  bus: EventBus;
  keepAliveMs: number;
}

/**
 * A client that reads slower than events come is cut off once this much is
 * waiting in its socket buffer: it reconnects with `Last-Event-ID` and
 * catches up from the log. Memory per stream stays bounded.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * One `GET /tasks/{id}/events` response: the log after `Last-Event-ID`, then
 * live events from the bus, ended after the terminal event.
 *
 * Nothing is lost between the two: the bus subscription starts before the
 * log is read, live events are held while the log is written, and an event
 * met twice (in the log and on the bus) is written once, by `seq`.
 *
 * The bus is fire-and-forget (a Redis outage drops messages), the log is
 * not: at each keep-alive the task is read again; once it is terminal the
 * stream catches up from the log and ends, and a task deleted meanwhile ends
 * the stream too.
 */
export class TaskEventStream {
  private lastSeq: number;
  private held: TaskEvent[] | null = [];
  private unsubscribe: (() => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private checking = false;
  private terminalTicks = 0;
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly res: Response,
    private readonly options: TaskEventStreamOptions,
  ) {
    this.lastSeq = options.after ?? Number.NEGATIVE_INFINITY;
  }

  /** Called once, when the stream is over (ended, client gone, or failed to start). */
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /**
   * Reads the task and its log, then answers. Throws (nothing sent yet) when
   * the task is not the caller's or the store fails: the caller's exception
   * filter answers with the error.
   */
  async start(): Promise<void> {
    const { source, bus, taskId, after } = this.options;
    this.unsubscribe = bus.subscribe((event) => {
      if (event.taskId !== taskId) return;
      if (this.held) this.held.push(event);
      else this.push(event);
    });
    let replay: TaskEvent[];
    let alreadyDelivered = false;
    try {
      // Subscribed before the log is read: an event appended in between is in one or the other.
      await bus.whenReady?.();
      const task = await source.get();
      replay = await source.events(after);
      if (after !== undefined && isTerminal(task.status) && !replay.some(isTerminalEvent)) {
        // Either the client already has the terminal event, or it is being recorded right now
        // (the status is written before the event is appended) and will come from the bus.
        const all = await source.events();
        alreadyDelivered = all.some((e) => isTerminalEvent(e) && typeof e.seq === 'number' && e.seq <= after);
      }
    } catch (error) {
      this.close();
      throw error;
    }
    if (this.res.destroyed || this.res.writableEnded) return this.close();

    const fresh = replay.filter((e) => isPublicEvent(e) && (typeof e.seq !== 'number' || e.seq > this.lastSeq));
    if (alreadyDelivered && fresh.length === 0) {
      // The client has everything and the task is over. 204 is how a server
      // tells EventSource to stop reconnecting (HTML, "Server-sent events").
      this.res.status(204).end();
      return this.close();
    }

    // A throw in a close listener must not end the process; the stream is over either way.
    const { on } = guardedListeners((error) => this.res.destroy(error as Error));
    on(this.res, 'close', () => this.close());
    this.res.status(200);
    this.res.setHeader('Content-Type', 'text/event-stream');
    this.res.setHeader('Cache-Control', 'no-cache');
    this.res.setHeader('X-Accel-Buffering', 'no');
    this.res.flushHeaders();
    this.res.socket?.setNoDelay(true);

    for (const event of replay) this.push(event);
    const held = this.held ?? [];
    this.held = null;
    for (const event of held) this.push(event);
    if (alreadyDelivered) return this.end();
    if (this.closed) return;
    this.keepAlive = setInterval(() => this.tick(), this.options.keepAliveMs);
    this.keepAlive.unref?.();
  }

  /** Ends the response (shutdown, or after the terminal event). */
  end(): void {
    if (this.closed) return;
    if (!this.res.writableEnded) this.res.end();
    this.close();
  }

  private push(event: TaskEvent): void {
    if (this.closed) return;
    if (typeof event.seq === 'number') {
      if (event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
    }
    if (!isPublicEvent(event)) return;
    this.write(format(event));
    if (isTerminalEvent(event)) this.end();
  }

  private write(chunk: string): void {
    if (this.closed || this.res.writableEnded) return;
    this.res.write(chunk);
    // Under a compression middleware, push the bytes out now.
    (this.res as unknown as { flush?: () => void }).flush?.();
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.end();
  }

  private tick(): void {
    this.write(': keep-alive\n\n');
    if (!this.checking && !this.closed) {
      this.checking = true;
      this.check()
        .catch(() => undefined) // store unreachable: try again next time
        .finally(() => (this.checking = false));
    }
  }

  /** Repairs a missed bus message from the log: see the class comment. */
  private async check(): Promise<void> {
    const { source } = this.options;
    let task: TaskRecord;
    try {
      task = await source.get();
    } catch (error) {
      if ((error as { kind?: unknown } | null)?.kind === 'not_found') this.end();
      return;
    }
    if (!isTerminal(task.status) || this.closed) return;
    const missed = await source.events(Number.isFinite(this.lastSeq) ? this.lastSeq : undefined);
    for (const event of missed) this.push(event);
    // Terminal but no terminal event in the log: it may be in flight; give it one more tick.
    if (++this.terminalTicks >= 2) this.end();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held = null;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/** One SSE message: `id` (when the log gave one), `event`, one `data` line of JSON. */
export function format(event: PublicTaskEvent): string {
  const id = typeof event.seq === 'number' ? `id: ${event.seq}\n` : '';
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(toTaskEventView(event))}\n\n`;
}
