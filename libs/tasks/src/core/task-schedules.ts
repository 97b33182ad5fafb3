import { Injectable, type Type } from '@nestjs/common';
import { taskTypeOf, type TaskInputOf } from '../definition';
import { TaskEngine, type ScheduleInfo } from '../engine';
import type { MissedSlotPolicy } from '../model';

/** A schedule added from code. */
export interface AddScheduleOptions<Input> {
  /** Unique: 1 to 100 letters, digits, `.`, `_` or `-`. */
  name: string;
  /** Five fields (minute first), six (seconds first), or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. */
  cron: string;
  /** IANA time zone the cron is read in. Default `UTC`. */
  timezone?: string;
  /** The input of each task, checked against the task's schema now and at each slot. */
  input?: Input;
  /** Slots missed while everything was down: `latest` (default) runs the most recent once, `skip` none. */
  missed?: MissedSlotPolicy;
  /** Owner of the schedule and of its tasks. Default `anonymous`. */
  owner?: string;
}

/**
 * Cron schedules from the app's own code: inject it
 * (`constructor(private readonly schedules: TaskSchedules) {}`), then
 * `await this.schedules.add(ReportTask, { name: 'acme-monthly', cron: '0 6 1 * *',
 * timezone: 'Europe/Paris', input: { tenant: 'acme' } })`. Each slot submits
 * one task, exactly once whatever the number of processes. Errors are
 * `TaskOperationError`s: `invalid_input` naming the field, `conflict` for a
 * name in use, `not_found`. Without `owner`, the reads and changes below
 * reach every owner's schedules (the app's code is trusted); with it, only
 * that owner's.
 */
@Injectable()
export class TaskSchedules {
  constructor(private readonly engine: TaskEngine) {}

  /** Adds a schedule of the given `@Task()` class; it runs from its next slot. */
  add<Input = never, T extends object = object>(
    task: Type<T>,
    options: AddScheduleOptions<[Input] extends [never] ? TaskInputOf<T> : NoInfer<Input>>,
  ): Promise<ScheduleInfo> {
    return this.engine.scheduler.add({
      name: options.name,
      type: taskTypeOf(task),
      cron: options.cron,
      timezone: options.timezone,
      input: options.input,
      missed: options.missed,
      owner: options.owner ?? 'anonymous',
    });
  }

  /** The schedules (declared and added), by name, each with its next run. */
  list(owner?: string): Promise<ScheduleInfo[]> {
    return this.engine.scheduler.list(owner);
  }

  get(name: string, owner?: string): Promise<ScheduleInfo> {
    return this.engine.scheduler.get(name, owner);
  }

  /** No task until resumed; declared schedules stay paused across restarts. */
  pause(name: string, owner?: string): Promise<ScheduleInfo> {
    return this.engine.scheduler.setPaused(name, true, owner);
  }

  /** Runs again from the next slot: the slots passed while paused are not made up for. */
  resume(name: string, owner?: string): Promise<ScheduleInfo> {
    return this.engine.scheduler.setPaused(name, false, owner);
  }

  /** Removes a schedule added at run time (a declared one is a `conflict`: remove it from the code). */
  remove(name: string, owner?: string): Promise<void> {
    return this.engine.scheduler.remove(name, owner);
  }
}
