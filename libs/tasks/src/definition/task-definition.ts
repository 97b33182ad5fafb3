import type { Placement } from '../model';
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
  /** Name of the declaring class, for error messages. */
  className: string;
}
