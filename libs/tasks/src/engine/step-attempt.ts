import type { StepContext, StepDefinition, TaskLogger } from '../definition';
import type { ResultFile, TaskRecord, UploadedFile } from '../model';
import type { Clock, ObjectStorage, UploadStore } from '../ports';
import { AbortReason, StepTimeoutError } from './errors';
import type { Execution } from './execution';

export type AttemptOutcome =
  { kind: 'completed'; output: unknown } | { kind: 'threw'; error: unknown } | { kind: 'aborted'; reason: AbortReason };

export interface AttemptHooks {
  progress(fraction: number, message?: string): void;
  setResultFile(file: ResultFile): void;
}

export interface AttemptEnv {
  clock: Clock;
  storage: ObjectStorage;
  logger: TaskLogger;
  uploads?: UploadStore;
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
    logger: env.logger,
    storage: env.storage,
    storagePrefix: `tasks/${task.id}/`,
    uploads: { get: (id) => ownUpload(env.uploads, task.owner, id) },
    progress: hooks.progress,
    setResultFile: hooks.setResultFile,
  };
}

/** A finished upload of `owner`, as a file; null when unknown, unfinished or another owner's. */
async function ownUpload(uploads: UploadStore | undefined, owner: string, id: string): Promise<UploadedFile | null> {
  const record = uploads ? await uploads.get(id) : null;
  if (!record || record.owner !== owner) return null;
  const { contentKey: key, name, size, sha256, contentType } = record;
  return { key, name, size, sha256, contentType };
}

/**
 * Runs one attempt of a step. Resolves as soon as the execution aborts or the
 * step times out, even if the step ignores its signal: cancellation is prompt.
 */
export async function runAttempt(
  exec: Execution,
  step: StepDefinition,
  attempt: number,
  env: AttemptEnv,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const forward = () => controller.abort(exec.signal.reason);
  if (exec.signal.aborted) return { kind: 'aborted', reason: exec.signal.reason as AbortReason };
  exec.signal.addEventListener('abort', forward, { once: true });
  const stopTimer = step.timeoutMs
    ? env.clock.setTimer(step.timeoutMs, () => controller.abort(new StepTimeoutError(step.name, step.timeoutMs!)))
    : () => undefined;
  const aborted = new Promise<never>((_, reject) =>
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
  );
  aborted.catch(() => undefined);
  try {
    const ctx = stepContext(exec.task, step.name, attempt, controller.signal, env, hooks);
    const output = await Promise.race([Promise.resolve().then(() => step.run(ctx)), aborted]);
    if (controller.signal.aborted) return outcomeOfAbort(controller.signal.reason);
    return { kind: 'completed', output: output ?? null };
  } catch (error) {
    if (controller.signal.aborted) return outcomeOfAbort(controller.signal.reason);
    return { kind: 'threw', error };
  } finally {
    stopTimer();
    exec.signal.removeEventListener('abort', forward);
  }
}

function outcomeOfAbort(reason: unknown): AttemptOutcome {
  // A step timeout is an ordinary failure, subject to the retry policy.
  if (reason instanceof StepTimeoutError || !(reason instanceof AbortReason)) return { kind: 'threw', error: reason };
  return { kind: 'aborted', reason };
}
