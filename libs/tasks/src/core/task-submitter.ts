import { Injectable, type Type } from '@nestjs/common';
import { taskTypeOf, type TaskInputOf } from '../definition';
import {
  ANY_OWNER,
  TaskEngine,
  TaskHandle,
  type OwnerScope,
  type SingletonPolicy,
  type TaskStatsSummary,
} from '../engine';
import type { TaskRecord, TerminalStatus } from '../model';

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

/** Which finished tasks a bulk call acts on; every field optional. */
export interface FinishedFilter {
  /** One owner's tasks; every owner's when absent. */
  owner?: string;
  type?: string;
  /** Finished at or after this time. */
  finishedAfter?: Date | number;
  /** Finished strictly before this time. */
  finishedBefore?: Date | number;
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

  /** Counts by status and by type, and the oldest pending task's wait: one owner's, or every owner's when absent. */
  stats(owner?: string): Promise<TaskStatsSummary> {
    return this.engine.stats(scope(owner));
  }

  /**
   * Runs the failed tasks that match again, each from the step that failed
   * (after a deploy that fixed the bug); resolves with how many. `actor` is
   * recorded in each `task.retried` (default `system`).
   */
  retryFailed(filter: FinishedFilter = {}, actor?: string): Promise<number> {
    return this.engine.retryFailed({ ...times(filter), owner: scope(filter.owner) }, actor);
  }

  /**
   * Deletes the finished tasks that match (`statuses`: all three terminal
   * ones by default), with their events, webhook rows and files; never an
   * unfinished one. Resolves with how many.
   */
  deleteFinished(filter: FinishedFilter & { statuses?: readonly TerminalStatus[] } = {}): Promise<number> {
    return this.engine.purgeFinished({
      ...times(filter),
      owner: scope(filter.owner),
      ...(filter.statuses ? { statuses: filter.statuses } : {}),
    });
  }

  /** A handle on a task submitted earlier (by id), for its owner. */
  handle<Output = unknown>(id: string, owner = 'anonymous'): TaskHandle<Output> {
    return new TaskHandle<Output>(this.engine, id, owner);
  }
}

const scope = (owner: string | undefined): OwnerScope => owner ?? ANY_OWNER;

/** The filter's times as epoch ms, and its type. */
function times(filter: FinishedFilter): { type?: string; finishedAfter?: number; finishedBefore?: number } {
  return {
    ...(filter.type !== undefined ? { type: filter.type } : {}),
    ...(filter.finishedAfter !== undefined ? { finishedAfter: +filter.finishedAfter } : {}),
    ...(filter.finishedBefore !== undefined ? { finishedBefore: +filter.finishedBefore } : {}),
  };
}
