import { isTerminal, isTerminalEventType, type TaskEvent, type TaskRecord } from '../model';
import type { TaskEngine } from './task-engine';

/** How often `done()` and `events()` re-read the row, in case a live event was lost (pub/sub is not durable). */
const RECHECK_MS = 1_000;

/**
 * A submitted task, followed from code: its status, result, events, end.
 * Every call is scoped to the owner it was submitted for.
 */
export class TaskHandle<Output = unknown> {
  constructor(
    private readonly engine: TaskEngine,
    /** The task's id. */
    readonly id: string,
    /** The owner the task was submitted for. */
    readonly owner: string,
    /** False when an earlier submit with the same idempotency key, or the unfinished holder of the singleton key, was returned. */
    readonly created = true,
  ) {}

  /** The task as stored now. */
  status(): Promise<TaskRecord> {
    return this.engine.get(this.id, this.owner);
  }

  /** The last step's output once `completed`; `undefined` before, or when the task did not complete. */
  async result(): Promise<Output | undefined> {
    const task = await this.status();
    return task.status === 'completed' ? (task.output as Output) : undefined;
  }

  /** Requests cancellation (compensation follows); resolves with the task as the request left it. */
  cancel(): Promise<TaskRecord> {
    return this.engine.cancel(this.id, this.owner);
  }

  /**
   * Runs a `failed` task again from the step that failed, keeping the
   * outputs of the steps that completed; resolves with the task, pending
   * again. A `TaskOperationError` (`kind: 'conflict'`) unless it failed.
   */
  retry(): Promise<TaskRecord> {
    return this.engine.retry(this.id, this.owner);
  }

  /** Sends the signal `name` with its payload (see `TaskEngine.signal`); resolves with the task after it. */
  signal(name: string, payload?: unknown): Promise<TaskRecord> {
    return this.engine.signal(this.id, this.owner, name, payload);
  }

  /** Resolves with the task once it is `completed`, `failed` or `cancelled`. */
  async done(): Promise<TaskRecord> {
    for await (const event of this.events()) {
      if (isTerminalEventType(event.type)) break;
    }
    return this.status();
  }

  /**
   * The task's events, from its first, live, ending after the terminal one
   * (`for await (const event of handle.events())`). Stored events come in
   * log order without gaps or repeats; progress events are live only.
   * Live events come from the bus, which this subscribes to while it reads.
   */
  async *events(signal?: AbortSignal): AsyncGenerator<TaskEvent> {
    const live: TaskEvent[] = [];
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    const unsubscribe = this.engine.deps.bus.subscribe((event) => {
      if (event.taskId !== this.id) return;
      live.push(event);
      notify();
    });
    signal?.addEventListener('abort', notify, { once: true });
    try {
      await this.engine.deps.bus.whenReady?.();
      let lastSeq = 0;
      while (!signal?.aborted) {
        // The log first: what was appended before the subscription, and what pub/sub dropped.
        for (const event of await this.engine.listEvents(this.id, this.owner, lastSeq)) {
          lastSeq = Math.max(lastSeq, event.seq ?? lastSeq);
          yield event;
          if (isTerminalEventType(event.type)) return;
        }
        while (live.length > 0) {
          const event = live.shift()!;
          if (event.seq !== undefined) continue; // logged: read from the log, in order
          yield event;
        }
        const task = await this.status();
        if (isTerminal(task.status) && !live.some((e) => e.seq !== undefined)) {
          // Ended between two reads of the log: one more read yields the terminal event.
          const rest = await this.engine.listEvents(this.id, this.owner, lastSeq);
          yield* rest;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (live.length > 0 || signal?.aborted) notify();
          setTimeout(notify, RECHECK_MS).unref();
        });
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', notify);
    }
  }
}
