import type { StepContext, StepDefinition, TaskLogger } from '../definition';
import type { ResultFile, TaskRecord, UploadedFile } from '../model';
import type { Clock, ObjectStorage, TaskTracer, UploadStore } from '../ports';
import { AbortReason, StepTimeoutError } from './step-errors';
import type { Execution } from './execution';
import { stepLogger } from './step-logger';

export type AttemptOutcome =
  | { kind: 'completed'; output: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'aborted'; reason: AbortReason }
  /**
   * Aborted (or timed out), and the step ignored its signal for the whole
   * grace: it may still do its work. `running` settles when it ends.
   */
  | { kind: 'abandoned'; reason: AbortReason; running: Promise<unknown> };

export interface AttemptHooks {
  progress(fraction: number, message?: string): void;
  setResultFile(file: ResultFile): void;
  /** A step's waits and children; absent in a compensation, which can neither wait nor spawn. */
  waitForSignal?: StepContext['waitForSignal'];
  spawn?: StepContext['spawn'];
  waitFor?: StepContext['waitFor'];
}

export interface AttemptEnv {
  clock: Clock;
  storage: ObjectStorage;
  logger: TaskLogger;
  uploads?: UploadStore;
  tracer?: TaskTracer;
}

/** Builds the context a step (or a compensation) receives. */
export function stepContext(
  task: TaskRecord,
  step: string,
  attempt: number,
  signal: AbortSignal,
  env: AttemptEnv,
  hooks: AttemptHooks,
): StepContext {
  const outputs: Record<string, unknown> = {};
  for (const s of task.steps) if (s.status === 'completed' || s.status === 'compensating') outputs[s.name] = s.output;
  return {
    taskId: task.id,
    taskType: task.type,
    owner: task.owner,
    input: task.input,
    outputs,
    step,
    attempt,
    signal,
    logger: stepLogger(env.logger, { taskId: task.id, taskType: task.type, owner: task.owner, step, attempt }),
    storage: env.storage,
    storagePrefix: `tasks/${task.id}/`,
    uploads: { get: (id) => ownUpload(env.uploads, task.owner, id) },
    progress: hooks.progress,
    setResultFile: hooks.setResultFile,
    waitForSignal: hooks.waitForSignal ?? cannotWait,
    spawn: hooks.spawn ?? cannotWait,
    waitFor: hooks.waitFor ?? cannotWait,
  };
}

async function cannotWait(): Promise<never> {
  throw new Error('a compensation cannot wait for a signal or spawn child tasks');
}

/** A finished upload of `owner`, as a file; null when unknown, unfinished or another owner's. */
async function ownUpload(uploads: UploadStore | undefined, owner: string, id: string): Promise<UploadedFile | null> {
  const record = uploads ? await uploads.get(id) : null;
  if (!record || record.owner !== owner) return null;
  const { contentKey: key, name, size, sha256, contentType } = record;
  return { key, name, size, sha256, contentType };
}

/**
 * Runs one attempt of a step. When the execution aborts or the step times
 * out, the step gets `graceMs` to settle: one that ends in time (even with
 * its work done) is taken at its word, so a retry never starts beside it;
 * one that does not is abandoned, still running.
 */
export async function runAttempt(
  exec: Execution,
  step: StepDefinition,
  attempt: number,
  env: AttemptEnv,
  hooks: AttemptHooks,
  graceMs: number,
): Promise<AttemptOutcome> {
  if (exec.signal.aborted) return { kind: 'aborted', reason: exec.signal.reason as AbortReason };
  const controller = new AbortController();
  const forward = () => controller.abort(exec.signal.reason);
  exec.signal.addEventListener('abort', forward, { once: true });
  const stopTimer = step.timeoutMs
    ? env.clock.setTimer(step.timeoutMs, () => controller.abort(new StepTimeoutError(step.name, step.timeoutMs!)))
    : () => undefined;
  try {
    const ctx = stepContext(exec.task, step.name, attempt, controller.signal, env, hooks);
    const tracer = env.tracer;
    const work = tracer
      ? () => tracer.attempt(exec.task, step.name, attempt, 'step', () => step.run(ctx))
      : () => step.run(ctx);
    const settled = await settleWithin(work, controller.signal, env.clock, graceMs);
    if (settled.kind === 'ok') return { kind: 'completed', output: settled.value ?? null };
    const reason = controller.signal.reason as AbortReason;
    if (settled.kind === 'running') return { kind: 'abandoned', reason, running: settled.running };
    // Aborted and it gave up: the abort is the cause, whatever it threw.
    if (controller.signal.aborted) return outcomeOfAbort(reason);
    return { kind: 'threw', error: settled.error };
  } finally {
    stopTimer();
    exec.signal.removeEventListener('abort', forward);
  }
}

export type Settled =
  { kind: 'ok'; value: unknown } | { kind: 'threw'; error: unknown } | { kind: 'running'; running: Promise<unknown> };

/**
 * Runs `work` to its end; once `signal` aborts, waits at most `graceMs`
 * more for it, then reports it still running (never a second copy of it).
 */
export async function settleWithin(
  work: () => unknown,
  signal: AbortSignal,
  clock: Clock,
  graceMs: number,
): Promise<Settled> {
  const running = Promise.resolve().then(work);
  const outcome = running.then(
    (value): Settled => ({ kind: 'ok', value }),
    (error: unknown): Settled => ({ kind: 'threw', error }),
  );
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const first = await Promise.race([outcome, aborted.then(() => null)]);
  if (first) return first;
  let cancelGrace: () => void = () => undefined;
  const grace = new Promise<null>((resolve) => (cancelGrace = clock.setTimer(graceMs, () => resolve(null))));
  const late = await Promise.race([outcome, grace]);
  cancelGrace();
  return late ?? { kind: 'running', running: outcome };
}

function outcomeOfAbort(reason: unknown): AttemptOutcome {
  // A step timeout is an ordinary failure, subject to the retry policy.
  if (reason instanceof StepTimeoutError || !(reason instanceof AbortReason)) return { kind: 'threw', error: reason };
  return { kind: 'aborted', reason };
}
