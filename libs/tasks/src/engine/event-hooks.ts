import type { TaskEvent, TaskEventType, TaskRecord } from '../model';

/** One in-process listener of recorded events (an `@OnTaskEvent` method). */
export interface EventHook {
  events: ReadonlySet<TaskEventType>;
  /** Only tasks of this type, when set. */
  type?: string;
  handle(event: TaskEvent, task: TaskRecord): unknown;
  /** For the logs: `Class.method`. */
  name: string;
}

/** The hooks of this process, called once per event it recorded, after the commit. */
export class EventHooks {
  private readonly hooks: EventHook[] = [];

  add(hook: EventHook): void {
    this.hooks.push(hook);
  }

  get size(): number {
    return this.hooks.length;
  }

  /** Calls the hooks of `event` in turn; a failing one is reported to `onError` and the others still run. */
  async deliver(event: TaskEvent, task: TaskRecord, onError: (hook: string, error: unknown) => void): Promise<void> {
    for (const hook of this.hooks) {
      if (!hook.events.has(event.type) || (hook.type !== undefined && hook.type !== task.type)) continue;
      try {
        await hook.handle(event, task);
      } catch (error) {
        onError(hook.name, error);
      }
    }
  }
}
