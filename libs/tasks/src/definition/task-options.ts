import type { MissedSlotPolicy, Placement } from '../model';
import type { RetryPolicy } from './retry-policy';
import type { StandardSchemaV1 } from './standard-schema';

/** Options of {@link Task}. */
export interface TaskOptions {
  /** Unique task type, used in `POST /tasks/{name}`. */
  name: string;
  /** Queue the task's steps are dispatched on. Default `default`. */
  queue?: string;
  /** Whole-task deadline from its first start. */
  timeoutMs?: number;
  /** Whether `POST /tasks/{id}/cancel` is accepted. Default true. */
  cancellable?: boolean;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Finished tasks (and their files) are deleted after this age. */
  retentionMs?: number;
  /** Validates (and may transform) the input; invalid input is a 400 listing the fields. */
  input?: StandardSchemaV1;
  /** Accepts multipart file parts (name `files`) for this task. Default false. */
  acceptsFiles?: boolean;
  /**
   * Whether `POST /tasks/{name}` submits it. Default true; `false` for a task
   * the app submits only from its own code (`TaskEngine.submit`): over REST
   * its type answers 404 as an unknown one does. Its tasks stay readable by
   * their owner (status, events, result).
   */
  http?: boolean;
  /**
   * Cron schedules: a task of this type is submitted at each slot, exactly
   * once whatever the number of processes. Written to the schedule store at
   * every start; pause them at run time (`POST /schedules/{name}/pause`).
   */
  schedules?: TaskScheduleOptions[];
  /**
   * How many tasks of this type run at once across every worker, checked at
   * claim in the database: `max` in all, `perOwner` per owner (besides the
   * module's `fairness.perOwner`, which counts every type). A task over a limit stays
   * `pending`, holds no worker slot, and starts when a slot frees.
   */
  concurrency?: { max?: number; perOwner?: number };
  /**
   * At most `max` runs of this type start in any `perMs` window, across every
   * worker (for steps calling a rate-limited service): each claim of a task
   * (its first start, and each resume after a retry's backoff or a
   * recovery) counts. A task over it stays `pending` until the window frees.
   */
  rateLimit?: { max: number; perMs: number };
}

/** A cron schedule declared on a task type. */
export interface TaskScheduleOptions {
  /**
   * Five fields (`minute hour day-of-month month day-of-week`) or six (a
   * seconds field first), or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
   */
  cron: string;
  /** IANA time zone the cron is read in. Default `UTC`. */
  timezone?: string;
  /** The input of each task, checked against the task's schema at start. Default `{}`. */
  input?: unknown;
  /**
   * Unique within the task type; the schedule is named `<task type>:<name>`.
   * Default: its index in `schedules` (`report:0`). Give one if the list may
   * be reordered: the name is what keeps a schedule's state across deploys.
   */
  name?: string;
  /** Slots missed while everything was down: `latest` (default) runs the most recent once, `skip` none. */
  missed?: MissedSlotPolicy;
  /** Owner of the tasks it submits (who sees them over REST). Default `anonymous`. */
  owner?: string;
}

/** Options of {@link Step}. */
export interface StepOptions {
  /** Position of the step; unique within the task. */
  order: number;
  /** Default `worker`. */
  on?: Placement;
  /** Default: the method name. */
  name?: string;
  retry?: RetryPolicy;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /**
   * The signals this step waits for (`ctx.waitForSignal(name)`), by name,
   * each with the schema its JSON payload must match (`null`: any JSON).
   * `POST /tasks/{id}/signals/{name}` accepts only these names; a name is
   * declared by one step of a task.
   */
  signals?: Record<string, StandardSchemaV1 | null>;
}
