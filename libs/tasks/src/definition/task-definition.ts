import type { MissedSlotPolicy, Placement, TypeLimits } from '../model';
import type { RetryPolicy } from './retry-policy';
import type { StandardSchemaV1 } from './standard-schema';
import type { StepContext } from './step-context';

export type StepHandler = (ctx: StepContext) => Promise<unknown> | unknown;

/** A step, resolved from decorators and bound to its task instance. */
export interface StepDefinition {
  name: string;
  order: number;
  on: Placement;
  retry: RetryPolicy;
  timeoutMs?: number;
  /** The signals it waits for, with their payload schemas (null: any JSON). */
  signals: ReadonlyMap<string, StandardSchemaV1 | null>;
  run: StepHandler;
  compensate?: StepHandler;
}

/** A validated task declaration, what the engine runs. */
export interface TaskDefinition {
  name: string;
  queue: string;
  timeoutMs?: number;
  cancellable: boolean;
  priority: number;
  retentionMs?: number;
  input?: StandardSchemaV1;
  acceptsFiles: boolean;
  /** Submittable over REST. */
  http: boolean;
  /** Sorted by order. */
  steps: StepDefinition[];
  /** Cluster-wide limits it declares (`concurrency`, `rateLimit`); the module's `fairness` adds to them. */
  limits?: TypeLimits;
  /** Declared cron schedules, defaults applied (their cron and time zone are checked when the scheduler starts). */
  schedules: ScheduleDeclaration[];
  /** Name of the declaring class, for error messages. */
  className: string;
}

/** A cron schedule from `@Task({ schedules })`, with its full name and defaults. */
export interface ScheduleDeclaration {
  /** `<task type>:<name or index>`. */
  name: string;
  cron: string;
  timezone: string;
  input: unknown;
  missed: MissedSlotPolicy;
  owner: string;
}
