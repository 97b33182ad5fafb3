import { TASKS_NAMESPACE } from '@stepwise/contract';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { errorBodyOf, StepwiseError } from './stepwise-error';
import type { TaskEvent, TaskView } from './types';

/**
 * Socket.IO settings of a {@link StepwiseClient}. Any option of
 * socket.io-client's `io()` may be given (`path`, `transports`,
 * `reconnectionDelay`, `reconnectionDelayMax`, `reconnectionAttempts`,
 * `randomizationFactor`, `timeout`, `auth`, `extraHeaders`, ...);
 * reconnection is on by default.
 */
export interface SocketConnectionOptions extends Partial<ManagerOptions & SocketOptions> {
  /** The Socket.IO server; the origin of `baseUrl` by default. */
  url?: string;
  /** `/tasks` by default. */
  namespace?: string;
  /** How long a `subscribe` waits for its acknowledgement before it is sent again. 10000 ms by default. */
  ackTimeoutMs?: number;
  /**
   * How long the connection stays open once no task is watched, so that a
   * Node process can exit without `close()`. `Infinity` keeps it open until
   * `close()`. 1000 ms by default.
   */
  idleTimeoutMs?: number;
}

/** What a task's subscriber is told. */
export interface TaskWatcher {
  /** An event of the task, duplicates (same `seq`) removed. */
  onEvent(event: TaskEvent): void;
  /** The task as a `subscribe` acknowledgement described it: after each (re)subscription. */
  onSnapshot(task: TaskView): void;
  /** The server refused the subscription, or the connection for good. */
  onError(error: unknown): void;
  /** The client was closed. */
  onClose(): void;
}

/** Subscribers of one task, and the `seq`s already delivered to them. */
interface Channel {
  readonly watchers: Set<TaskWatcher>;
  readonly seen: Set<number>;
  /** The connection generation in which the server last acknowledged the subscription. */
  liveGeneration: number;
}

const MAX_SEEN = 10_000;

/** Task ids are UUIDs: the server answers them lower-cased, whatever the case asked. */
const channelKey = (taskId: string): string => taskId.toLowerCase();
const DEFAULT_ACK_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 1_000;
/** A subscription the server could not serve (503: its backend is down) is asked again after this. */
const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * One lazily opened Socket.IO connection shared by all of a client's event
 * streams. On every `connect` (the first and each reconnect) it subscribes
 * again to every watched task, so that the acknowledgement's snapshot tells
 * each watcher what happened while the connection was down.
 */
export class SocketHub {
  private current: Socket | undefined;
  private opening = false;
  private generation = 0;
  private closed = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly baseUrl: string,
    private readonly options: SocketConnectionOptions,
    private readonly headers: () => Promise<Record<string, string>>,
  ) {}

  /** The connection, once opened. */
  get socket(): Socket | undefined {
    return this.current;
  }

  /** Starts delivering the task's events to the watcher; returns the function that stops it. */
  watch(id: string, watcher: TaskWatcher): () => void {
    if (this.closed) throw new Error('StepwiseClient is closed');
    const taskId = channelKey(id);
    clearTimeout(this.idleTimer);
    let channel = this.channels.get(taskId);
    if (!channel) {
      channel = { watchers: new Set(), seen: new Set(), liveGeneration: -1 };
      this.channels.set(taskId, channel);
    }
    channel.watchers.add(watcher);
    // Every new watcher needs a snapshot of its own, even on a channel already live.
    if (this.current?.connected) this.subscribe(taskId, channel);
    else this.open();
    const owner = channel;
    return () => this.unwatch(taskId, owner, watcher);
  }

  /** Whether events of the task are flowing: connected, and the subscription acknowledged on this connection. */
  isLive(taskId: string): boolean {
    const channel = this.channels.get(channelKey(taskId));
    return !!channel && !!this.current?.connected && channel.liveGeneration === this.generation;
  }

  /** Disconnects and ends every watcher. Final. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.discardSocket();
    const watchers = [...this.channels.values()].flatMap((channel) => [...channel.watchers]);
    this.channels.clear();
    for (const watcher of watchers) watcher.onClose();
  }

  private unwatch(taskId: string, channel: Channel, watcher: TaskWatcher): void {
    channel.watchers.delete(watcher);
    if (channel.watchers.size > 0 || this.channels.get(taskId) !== channel) return;
    this.channels.delete(taskId);
    const socket = this.current;
    if (socket?.connected) socket.emit('unsubscribe', { taskId });
    if (this.channels.size === 0) this.scheduleIdle();
  }

  /** Disconnects once nothing was watched for `idleTimeoutMs`; the next watch connects again. */
  private scheduleIdle(): void {
    const idleMs = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    clearTimeout(this.idleTimer);
    if (!Number.isFinite(idleMs)) return;
    this.idleTimer = setTimeout(
      () => {
        if (this.channels.size === 0) this.discardSocket();
      },
      Math.max(0, idleMs),
    );
  }

  private get ackTimeoutMs(): number {
    return this.options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  }

  private open(): void {
    if (this.current || this.opening || this.closed) return;
    this.opening = true;
    this.headers()
      .then((headers) => {
        this.opening = false;
        if (this.closed || this.current || this.channels.size === 0) return;
        this.current = this.createSocket(headers);
      })
      .catch((error: unknown) => {
        this.opening = false;
        this.failAll(error);
      });
  }

  private createSocket(headers: Record<string, string>): Socket {
    const { url, namespace, ackTimeoutMs: _ackTimeoutMs, idleTimeoutMs: _idleTimeoutMs, ...ioOptions } = this.options;
    const origin = url ?? new URL(this.baseUrl).origin;
    const target = `${origin.replace(/\/+$/, '')}${namespace ?? TASKS_NAMESPACE}`;
    const socket = io(target, {
      reconnection: true,
      // Sent with the handshake where the transport allows (Node: always; browsers: polling only).
      ...(Object.keys(headers).length > 0 ? { extraHeaders: headers } : {}),
      ...ioOptions,
      // A second client for the same URL must not share (and close) this one's connection.
      forceNew: true,
      autoConnect: true,
    });
    socket.on('connect', () => {
      this.generation++;
      for (const [taskId, channel] of this.channels) this.subscribe(taskId, channel);
    });
    socket.on('connect_error', (error: Error) => {
      // Refused by the server (a middleware, an unknown namespace): socket.io-client will not try again.
      if (!socket.active && socket === this.current) {
        this.discardSocket();
        this.failAll(error);
      }
    });
    // `reconnectionAttempts` ran out: nothing more will come over this connection.
    socket.io.on('reconnect_failed', () => {
      if (socket !== this.current) return;
      this.discardSocket();
      this.failAll(new Error('Could not reconnect to the Socket.IO server'));
    });
    // The server says why before it sends a socket away (no owner for this connection, for example).
    let refusal: StepwiseError | undefined;
    socket.on('error', (payload: unknown) => {
      refusal = refusalError(payload);
    });
    socket.on('disconnect', (reason: Socket.DisconnectReason) => {
      // Sent away on purpose: socket.io-client does not reconnect after that.
      if (reason === 'io server disconnect' && socket === this.current) {
        this.discardSocket();
        this.failAll(refusal ?? new Error('The server closed the Socket.IO connection'));
      }
    });
    socket.onAny((name: unknown, payload: unknown) => this.dispatch(name, payload));
    return socket;
  }

  private subscribe(taskId: string, channel: Channel): void {
    const socket = this.current;
    if (!socket?.connected) return;
    const generation = this.generation;
    socket.timeout(this.ackTimeoutMs).emit('subscribe', { taskId }, (error: Error | null, ack: unknown) => {
      if (this.channels.get(taskId) !== channel || socket !== this.current) return;
      if (error) {
        // No answer in time on a connection still up: ask again. A disconnection resubscribes on `connect`.
        if (generation === this.generation && socket.connected) this.subscribe(taskId, channel);
        return;
      }
      const outcome = parseAck(taskId, ack);
      if ('error' in outcome && outcome.error.statusCode >= 500) {
        // The server is up but its backend is not: ask again in a while, on this connection.
        setTimeout(() => {
          if (generation === this.generation && this.channels.get(taskId) === channel) this.subscribe(taskId, channel);
        }, RESUBSCRIBE_DELAY_MS);
        return;
      }
      if ('error' in outcome) {
        for (const watcher of [...channel.watchers]) watcher.onError(outcome.error);
        return;
      }
      if (generation === this.generation) channel.liveGeneration = generation;
      for (const watcher of [...channel.watchers]) watcher.onSnapshot(outcome.task);
    });
  }

  private dispatch(name: unknown, payload: unknown): void {
    if (typeof name !== 'string' || !name.startsWith('task.')) return;
    if (typeof payload !== 'object' || payload === null) return;
    const event = payload as Partial<TaskEvent>;
    if (typeof event.taskId !== 'string') return;
    const channel = this.channels.get(channelKey(event.taskId));
    if (!channel) return;
    if (typeof event.seq === 'number') {
      if (channel.seen.has(event.seq)) return;
      channel.seen.add(event.seq);
      if (channel.seen.size > MAX_SEEN) channel.seen.delete(channel.seen.values().next().value as number);
    }
    // The Socket.IO event's name is authoritative; `type` is the task's type.
    const delivered = { ...event, event: name } as TaskEvent;
    for (const watcher of [...channel.watchers]) watcher.onEvent(delivered);
  }

  private failAll(error: unknown): void {
    const watchers = [...this.channels.values()].flatMap((channel) => [...channel.watchers]);
    for (const watcher of watchers) watcher.onError(error);
  }

  private discardSocket(): void {
    const socket = this.current;
    this.current = undefined;
    if (!socket) return;
    socket.offAny();
    socket.removeAllListeners();
    socket.io.removeAllListeners('reconnect_failed');
    socket.disconnect();
  }
}

/** `{ ok: true, task }`, or the refusal `{ ok: false, error: { statusCode, error, message, details? } }`. */
export function parseAck(taskId: string, ack: unknown): { task: TaskView } | { error: StepwiseError } {
  const answer = (typeof ack === 'object' && ack !== null ? ack : {}) as {
    ok?: unknown;
    task?: unknown;
    error?: unknown;
  };
  if (answer.ok === true && typeof answer.task === 'object' && answer.task !== null) {
    return { task: answer.task as TaskView };
  }
  return { error: refusalError(answer.error, `Subscription to task ${taskId} refused`) };
}

/** A server's error payload (`{ statusCode, error?, message, details? }`) as a {@link StepwiseError}. */
function refusalError(payload: unknown, fallback = 'Refused by the server'): StepwiseError {
  const body = (typeof payload === 'object' && payload !== null ? payload : {}) as {
    statusCode?: unknown;
    error?: unknown;
    message?: unknown;
    details?: unknown;
  };
  const statusCode = typeof body.statusCode === 'number' ? body.statusCode : 400;
  const message = typeof body.message === 'string' ? body.message : typeof payload === 'string' ? payload : fallback;
  return new StepwiseError({
    ...errorBodyOf(statusCode, typeof body.error === 'string' ? body.error : '', ''),
    message,
    ...(body.details === undefined ? {} : { details: body.details }),
  });
}
