import { Injectable, type Type } from '@nestjs/common';
import { taskTypeOf, type TaskInputOf } from '../definition';
import { TaskEngine, TaskHandle, type SingletonPolicy } from '../engine';
import type { TaskRecord } from '../model';

/** Who the task is for, and how it is delivered. */
export interface SubmitOptions {
  /** The owner the task belongs to (REST callers see only their own). Default `anonymous`. */
  owner?: string;
  /** Who submits, recorded in the task's `task.created` (the audit trail). Default `system`. */
  actor?: string;
  /** A second submit with the same key (and the same input) returns the first task. */
  idempotencyKey?: string;
  /** Webhook target for this task's terminal events. */
  callbackUrl?: string;
  /** Higher runs first. Default: the task type's. */
  priority?: number;
  /** When the task becomes due (a `Date` or epoch ms), at most a year ahead. */
  runAt?: Date | number;
  /** Due this long after the submit. */
  delayMs?: number;
  /**
   * At most one unfinished task of the type with this key: while one holds
   * it, the submit answers with that task (`handle.created` is false), or
   * rejects with a `TaskOperationError` (`kind: 'conflict'`) when `singleton`
   * is `'conflict'`. Free again once that task has ended.
   */
  singletonKey?: string;
  /** What a held `singletonKey` answers: the holder (`'existing'`, the default) or a conflict. */
  singleton?: SingletonPolicy;
}

/**
 * Submits tasks from the app's own code and follows them: inject it
 * anywhere (`constructor(private readonly tasks: TaskSubmitter) {}`), then
 * `const report = await this.tasks.submit(ReportTask, { month: '2026-11' })`
 * and `await report.done()`. The input is checked against the task's schema
 * as over REST; an invalid one rejects with a `TaskOperationError`
 * (`kind: 'invalid_input'`).
 */
@Injectable()
export class TaskSubmitter {
  constructor(private readonly engine: TaskEngine) {}

  /** Submits a task of the given `@Task()` class; resolves once it is stored and dispatched. */
  async submit<Input = never, Output = unknown, T extends object = object>(
    task: Type<T>,
    input: [Input] extends [never] ? TaskInputOf<T> : NoInfer<Input>,
    options: SubmitOptions = {},
  ): Promise<TaskHandle<Output>> {
    const owner = options.owner ?? 'anonymous';
    const { task: record, created } = await this.engine.submit({
      type: taskTypeOf(task),
      input,
      owner,
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.runAt !== undefined ? { runAt: +options.runAt } : {}),
      ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
      ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
      ...(options.singleton !== undefined ? { singleton: options.singleton } : {}),
      ...(options.actor !== undefined ? { actor: options.actor } : {}),
    });
    return new TaskHandle<Output>(this.engine, record.id, owner, created);
  }

  /**
   * Sends the signal `name` to the task `id` of `owner` (a step waits for it
   * with `ctx.waitForSignal(name)`); its payload is checked against the
   * step's schema. Resolves with the task as the signal left it.
   */
  signal(id: string, name: string, payload?: unknown, owner = 'anonymous'): Promise<TaskRecord> {
    return this.engine.signal(id, owner, name, payload);
  }

  /** A handle on a task submitted earlier (by id), for its owner. */
  handle<Output = unknown>(id: string, owner = 'anonymous'): TaskHandle<Output> {
    return new TaskHandle<Output>(this.engine, id, owner);
  }
}
