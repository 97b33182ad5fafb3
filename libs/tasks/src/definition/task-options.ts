import type { Placement } from '../model';
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
}
