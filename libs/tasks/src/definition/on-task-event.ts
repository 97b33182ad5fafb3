import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import { EVENT_HOOKS_METADATA } from './metadata-keys';

/** An event's name without its `task.` prefix: `completed`, `failed`, `step`, `progress`... */
export type TaskEventName = TaskEventType extends `task.${infer Name}` ? Name : never;

/** Which events a hook receives. */
export interface OnTaskEventOptions {
  /** Only the events of tasks of this type (the `@Task` name). */
  type?: string;
}

/** One `@OnTaskEvent` method, as declared. */
export interface EventHookMetadata {
  method: string;
  events: readonly TaskEventType[];
  type?: string;
}

/** A hook's method: the event and the task as it was when the event was recorded. */
export type TaskEventHandler = (event: TaskEvent, task: TaskRecord) => unknown;

/**
 * Calls the decorated method of a provider for each event of these names,
 * in-process: once per event, in the process that recorded it, after the
 * event was committed. A hook that throws is logged and changes nothing.
 *
 * ```ts
 * @Injectable()
 * class Notifications {
 *   @OnTaskEvent(['completed', 'failed'], { type: 'report' })
 *   async onReportDone(event: TaskEvent, task: TaskRecord) { ... }
 * }
 * ```
 */
export function OnTaskEvent(
  events: TaskEventName | readonly TaskEventName[],
  options: OnTaskEventOptions = {},
): MethodDecorator {
  const names = typeof events === 'string' ? [events] : events;
  return (target, key) => {
    const hooks: EventHookMetadata[] = Reflect.getMetadata(EVENT_HOOKS_METADATA, target.constructor) ?? [];
    const hook: EventHookMetadata = {
      method: String(key),
      events: names.map((name) => `task.${name}` as TaskEventType),
      ...(options.type ? { type: options.type } : {}),
    };
    Reflect.defineMetadata(EVENT_HOOKS_METADATA, [...hooks, hook], target.constructor);
  };
}

/** The `@OnTaskEvent` methods of a class, if any. */
export function eventHooksOf(type: object): readonly EventHookMetadata[] {
  return (Reflect.getMetadata(EVENT_HOOKS_METADATA, type) as EventHookMetadata[] | undefined) ?? [];
}
