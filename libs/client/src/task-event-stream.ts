import type { SocketHub, TaskWatcher } from './socket-hub';
import { terminalEventOf } from '@stepwise/contract';
import { isTerminalEvent, isTerminalStatus, type TaskEvent, type TaskView } from './types';

/** The terminal event a finished task's snapshot stands for. */
export function terminalEventFrom(task: TaskView): TaskEvent | undefined {
  if (!isTerminalStatus(task.status)) return undefined;
  const step = task.error?.step;
  return {
    taskId: task.id,
    event: terminalEventOf(task.status),
    type: task.type,
    status: task.status,
    progress: task.progress,
    ...(step ? { step } : {}),
    ...(task.message ? { message: task.message } : {}),
    at: task.finishedAt ?? new Date().toISOString(),
    synthetic: true,
  };
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * The events of one task over the client's shared socket. Subscribes on the
 * first `next()`, ends after the task's terminal event (received, or derived
 * from a subscription snapshot of a task already finished), and unsubscribes
 * when it ends, when `return()` is called (`break` in `for await`) or when
 * the client closes.
 */
export class TaskEventStream implements AsyncIterableIterator<TaskEvent> {
  private readonly buffer: TaskEvent[] = [];
  private readonly waiters: Array<Waiter<IteratorResult<TaskEvent>>> = [];
  private readonly snapshotWaiters: Array<Waiter<TaskView>> = [];
  private snapshot: TaskView | undefined;
  private state: 'idle' | 'open' | 'ended' = 'idle';
  private failure: { error: unknown } | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    readonly taskId: string,
    private readonly hub: SocketHub,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<TaskEvent>> {
    if (this.state === 'idle') this.open();
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.state === 'ended') return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Resolves with the task as the server described it when it acknowledged
   * the subscription (starting the subscription if `next()` has not): from
   * then on, no event of the task is missed. Rejects when the subscription
   * is refused, or the stream ends before it was acknowledged.
   */
  subscribed(): Promise<TaskView> {
    if (this.snapshot) return Promise.resolve(this.snapshot);
    if (this.state === 'idle') this.open();
    if (this.state === 'ended') return Promise.reject(new Error('The event stream ended before its subscription'));
    return new Promise((resolve, reject) => this.snapshotWaiters.push({ resolve, reject }));
  }

  /** Stops listening; what was not yet read is dropped. */
  return(): Promise<IteratorResult<TaskEvent>> {
    this.buffer.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private open(): void {
    this.state = 'open';
    const watcher: TaskWatcher = {
      onEvent: (event) => this.push(event),
      onSnapshot: (task) => {
        if (!this.snapshot) {
          this.snapshot = task;
          for (const waiter of this.snapshotWaiters.splice(0)) waiter.resolve(task);
        }
        const terminal = terminalEventFrom(task);
        if (terminal) this.push(terminal);
      },
      onError: (error) => this.fail(error),
      onClose: () => this.end(),
    };
    try {
      this.unwatch = this.hub.watch(this.taskId, watcher);
    } catch (error) {
      this.fail(error);
    }
  }

  private push(event: TaskEvent): void {
    if (this.state !== 'open') return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: event, done: false });
    else this.buffer.push(event);
    if (isTerminalEvent(event)) this.end();
  }

  private fail(error: unknown): void {
    if (this.state === 'ended') return;
    for (const waiter of this.snapshotWaiters.splice(0)) waiter.reject(error);
    const waiter = this.waiters.shift();
    if (waiter) waiter.reject(error);
    else this.failure = { error };
    this.end();
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    unwatch?.();
    // Waiters only exist while the buffer is empty: nothing more will come.
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    const ended = new Error('The event stream ended before its subscription');
    for (const waiter of this.snapshotWaiters.splice(0)) waiter.reject(ended);
  }
}
