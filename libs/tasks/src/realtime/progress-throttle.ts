import type { Clock } from '../ports';

/** What the throttle needs to know of an event. */
export interface ThrottledEvent {
  taskId: string;
  type: string;
  progress: number;
}

export interface ProgressThrottleOptions<E extends ThrottledEvent> {
  /** Minimum time between two progress events of one task; `0` lets every one through. */
  intervalMs: number;
  /** After a terminal event, nothing of that task is pending any more: its state is dropped. */
  isTerminal: (event: E) => boolean;
  /** Timers; real `setTimeout` (unref'd) by default. */
  timers?: Pick<Clock, 'setTimer'>;
  /**
   * How long the state of a task that went quiet is kept (its progress
   * watermark, so a stale progress event is still recognised). Default 10 s.
   */
  idleMs?: number;
  /** How many finished task ids are remembered, to drop a progress event that arrives after the end. Default 10 000. */
  finishedMemory?: number;
}

interface TaskState<E> {
  /** The latest progress event held back in the current window. */
  pending?: E;
  /** Highest progress already emitted: a lower one is stale and dropped. */
  watermark: number;
  /** True while a window is open (a progress event went out less than `intervalMs` ago). */
  open: boolean;
  /** Cancels the window timer (open) or the idle expiry (closed). */
  cancel?: () => void;
}

const realTimers: Pick<Clock, 'setTimer'> = {
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

/**
 * Per-task throttle of `task.progress` events, in front of a transport.
 *
 * - The first progress event of a quiet task goes out at once (leading edge);
 *   the ones that follow within `intervalMs` are held, only the latest is kept,
 *   and it goes out when the window ends (trailing edge), which opens the next
 *   window. At most one progress event per task per `intervalMs`.
 * - Any other event of the task first flushes the held progress event, then
 *   goes out at once: the order of events is kept and no step or terminal
 *   event is ever dropped or delayed.
 * - Progress never goes back: a progress event below what was already sent
 *   (a stale one, reordered on its way) is dropped, and so is a progress event
 *   that arrives after the task's terminal event.
 * - A terminal event drops the task's state and timer; a task that goes quiet
 *   is forgotten after `idleMs`. Memory is bounded by the tasks in flight.
 *
 * Pure: no Nest, no Socket.IO; time comes from an injectable timer source.
 */
export class ProgressThrottle<E extends ThrottledEvent> {
  private readonly states = new Map<string, TaskState<E>>();
  /** Insertion-ordered, capped: a Set used as a FIFO. */
  private readonly finished = new Set<string>();
  private readonly timers: Pick<Clock, 'setTimer'>;
  private readonly idleMs: number;
  private readonly finishedMemory: number;

  constructor(
    private readonly emit: (event: E) => void,
    private readonly options: ProgressThrottleOptions<E>,
  ) {
    this.timers = options.timers ?? realTimers;
    this.idleMs = options.idleMs ?? 10_000;
    this.finishedMemory = options.finishedMemory ?? 10_000;
  }

  /** Number of tasks with state (held event, open window or watermark). */
  get size(): number {
    return this.states.size;
  }

  push(event: E): void {
    if (event.type === 'task.progress') this.pushProgress(event);
    else this.pushOther(event);
  }

  /** Drops every held event and timer (shutdown). */
  dispose(): void {
    for (const state of this.states.values()) state.cancel?.();
    this.states.clear();
    this.finished.clear();
  }

  private pushProgress(event: E): void {
    if (this.finished.has(event.taskId)) return;
    const state = this.state(event.taskId);
    if (event.progress < state.watermark) return;
    if (this.options.intervalMs <= 0) {
      this.send(state, event);
      this.idle(event.taskId, state);
      return;
    }
    if (state.open) {
      if (!state.pending || event.progress >= state.pending.progress) state.pending = event;
      return;
    }
    this.send(state, event);
    this.openWindow(event.taskId, state);
  }

  private pushOther(event: E): void {
    const { taskId } = event;
    const state = this.states.get(taskId);
    if (state?.pending) {
      const held = state.pending;
      state.pending = undefined;
      this.send(state, held);
      // The flush was a progress emission: it starts a new window.
      if (this.options.intervalMs > 0) this.openWindow(taskId, state);
    }
    this.emit(event);
    if (this.options.isTerminal(event)) {
      state?.cancel?.();
      this.states.delete(taskId);
      this.remember(taskId);
      return;
    }
    // Step events carry the progress too: a later, lower progress event is stale.
    const current = state ?? this.state(taskId);
    current.watermark = Math.max(current.watermark, event.progress);
    if (!current.open) this.idle(taskId, current);
  }

  private state(taskId: string): TaskState<E> {
    let state = this.states.get(taskId);
    if (!state) {
      state = { watermark: Number.NEGATIVE_INFINITY, open: false };
      this.states.set(taskId, state);
    }
    return state;
  }

  private send(state: TaskState<E>, event: E): void {
    state.watermark = Math.max(state.watermark, event.progress);
    this.emit(event);
  }

  private openWindow(taskId: string, state: TaskState<E>): void {
    state.cancel?.();
    state.open = true;
    state.cancel = this.timers.setTimer(this.options.intervalMs, () => {
      state.cancel = undefined;
      state.open = false;
      if (this.states.get(taskId) !== state) return;
      const held = state.pending;
      if (held) {
        state.pending = undefined;
        this.send(state, held);
        this.openWindow(taskId, state);
      } else {
        this.idle(taskId, state);
      }
    });
  }

  /** Quiet: keep the watermark for a while, then forget the task. */
  private idle(taskId: string, state: TaskState<E>): void {
    state.cancel?.();
    state.open = false;
    state.cancel = this.timers.setTimer(this.idleMs, () => {
      if (this.states.get(taskId) === state) this.states.delete(taskId);
    });
  }

  private remember(taskId: string): void {
    this.finished.delete(taskId);
    this.finished.add(taskId);
    if (this.finished.size > this.finishedMemory) {
      const oldest = this.finished.values().next();
      if (!oldest.done) this.finished.delete(oldest.value);
    }
  }
}
