import type { ResultFile, TaskError, UploadedFile } from '../model';
import type { ObjectStorage } from '../ports';

/** Minimal logger handed to steps; Nest's Logger satisfies it. */
export interface TaskLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /**
   * Optional: a logger that adds `fields` to every line it writes (as
   * structured fields where the output has them, pino's JSON). Without it,
   * the step's logger writes them at the start of each message.
   */
  child?(fields: StepLogFields): TaskLogger;
}

/** What every line a step writes through `ctx.logger` carries. */
export interface StepLogFields {
  taskId: string;
  taskType: string;
  owner: string;
  step: string;
  attempt: number;
}

/**
 * What a step (or a compensation) receives.
 *
 * @typeParam I - the validated input of the task.
 * @typeParam O - outputs of the task's steps, by step name.
 */
export interface StepContext<I = unknown, O extends object = Record<string, unknown>> {
  readonly taskId: string;
  readonly taskType: string;
  readonly owner: string;
  readonly input: I;
  /** Outputs of the steps that finished before this one, by step name. */
  readonly outputs: Readonly<Partial<O>>;
  /** Name of the running step (or of the step being compensated). */
  readonly step: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Fires on cancel, on task or step timeout, and on shutdown. Pass it to I/O. */
  readonly signal: AbortSignal;
  readonly logger: TaskLogger;
  /** Object storage; keys under {@link StepContext.storagePrefix} are removed with the task. */
  readonly storage: ObjectStorage;
  /** `tasks/{taskId}/`: where a step should store what it produces. */
  readonly storagePrefix: string;
  /**
   * Finished resumable uploads (`/uploads/`, tus) of the task's owner, by the
   * id in their URL. Null for an unknown or unfinished upload, or another
   * owner's: the step should fail for good. The content stays the upload's
   * (shared by identical uploads, kept until the upload expires): read it, do
   * not delete it.
   */
  readonly uploads: { get(id: string): Promise<UploadedFile | null> };
  /** Reports the step's progress (0..1); throttled, never goes backwards. */
  progress(fraction: number, message?: string): void;
  /** Names the file that `GET /tasks/{id}/download` serves. */
  setResultFile(file: ResultFile): void;
  /**
   * The payload of the signal `name` (declared in `@Step({ signals })`),
   * sent with `POST /tasks/{id}/signals/{name}` or `TaskService.signal`. A
   * signal sent before this call is kept for it. When none has come, the
   * step stops here and the task becomes `waiting`, holding no lease and no
   * worker slot; the signal (or the timeout) wakes it, and **the step runs
   * again from its start**, this call then answering at once. Put the wait
   * first in its step, or in a step of its own: code before it runs again.
   * Past `timeoutMs` without the signal it throws a `SignalTimeoutError`,
   * a failure of the step (its retry policy, then compensation, apply).
   * Do not catch what it throws while it suspends the step.
   *
   * @typeParam T - the payload, as the signal's schema outputs it.
   */
  waitForSignal<T = unknown>(name: string, options?: WaitForSignalOptions): Promise<T>;
  /**
   * Submits a child task (a `@Task()` class or a type name) for this task's
   * owner, linked to this task (`GET /tasks/{id}` lists it under `children`;
   * cancelling this task cancels it). Idempotent across the step's runs: the
   * n-th spawn of this step answers the same child every time the step runs
   * again (give it the same input, or it fails with a 422-kind error).
   */
  spawn<O = unknown>(
    task: string | (abstract new (...args: never[]) => unknown),
    input?: unknown,
  ): Promise<ChildRef<O>>;
  /**
   * The outputs of `children`, in order, once every child of this task has
   * ended. While one is unfinished the step stops here as
   * {@link waitForSignal} does (the task `waiting`, no worker slot held) and
   * the last child's end wakes it: **the step runs again from its start**,
   * its `spawn` calls answering the same children. A child that failed or was
   * cancelled fails the step with a `ChildTaskFailedError` (retry and
   * compensation rules apply), unless `allowFailures` asks for every child's
   * outcome instead.
   */
  waitFor<O = unknown>(children: ReadonlyArray<ChildRef<O>>, options?: { allowFailures?: false }): Promise<O[]>;
  waitFor(children: readonly ChildRef[], options: { allowFailures: true }): Promise<ChildOutcome[]>;
}

/** A child task a step spawned (see {@link StepContext.spawn}). */
export interface ChildRef<O = unknown> {
  readonly id: string;
  readonly type: string;
  /** Carries the output type only; never set. */
  readonly __output?: O;
}

/** How a child task ended, with `waitFor(children, { allowFailures: true })`. */
export interface ChildOutcome {
  id: string;
  type: string;
  status: 'completed' | 'failed' | 'cancelled';
  output: unknown;
  error: TaskError | null;
}

/** Options of {@link StepContext.waitForSignal}. */
export interface WaitForSignalOptions {
  /** How long the task waits for the signal (from the suspension); default: without end. */
  timeoutMs?: number;
}
