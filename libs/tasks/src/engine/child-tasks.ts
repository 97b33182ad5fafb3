import { taskTypeOf, type ChildOutcome, type ChildRef, type StepContext, type StepDefinition } from '../definition';
import { isTerminal, type TaskError } from '../model';
import type { ChildTask, TaskStore } from '../ports';
import type { Execution } from './execution';
import { NonRetryableError } from './step-errors';
import { WaitSuspension } from './step-wait';
import type { SubmitRequest, SubmitResult } from './task-engine';

/** Submits a task as the engine does (`TaskEngine.submit`). */
export type SubmitTask = (request: SubmitRequest) => Promise<SubmitResult>;

/** A child task the step waited for failed or was cancelled: a failure of the step. */
export class ChildTaskFailedError extends Error {
  readonly code = 'CHILD_TASK_FAILED';
  constructor(readonly child: { id: string; type: string; status: string; error: TaskError | null }) {
    super(
      `Child task ${child.id} (${child.type}) ended ${child.status}${child.error ? `: ${child.error.message}` : ''}`,
    );
    this.name = 'ChildTaskFailedError';
  }
}

/**
 * `ctx.spawn` of one attempt of `step`: the n-th call submits the child under
 * the key `spawn:<parent>:<step>:<n>`, so a step that runs again (woken,
 * retried, resumed after a crash) gets the children it spawned before.
 */
export function childSpawner(submit: SubmitTask, exec: Execution, step: StepDefinition): StepContext['spawn'] {
  let spawned = 0;
  return async <O>(task: string | (abstract new (...args: never[]) => unknown), input?: unknown) => {
    const type = typeof task === 'string' ? task : taskTypeOf(task);
    const parent = exec.task;
    const { task: child } = await submit({
      type,
      input: input ?? {},
      owner: parent.owner,
      idempotencyKey: `spawn:${parent.id}:${step.name}:${spawned++}`,
      parentId: parent.id,
    });
    return { id: child.id, type: child.type } as ChildRef<O>;
  };
}

/**
 * `ctx.waitFor`: the children's outputs once none of the task's children is
 * unfinished, else a suspension until the last one ends.
 */
export function childWaiter(store: TaskStore, exec: Execution): StepContext['waitFor'] {
  return (async (children: readonly ChildRef[], options: { allowFailures?: boolean } = {}) => {
    const all = new Map((await store.findChildren(exec.task.id)).map((child) => [child.id, child]));
    const found = children.map((ref): ChildTask => {
      const child = all.get(ref.id);
      if (!child) throw new NonRetryableError(`task ${ref.id} is not a child of task ${exec.task.id}`);
      return child;
    });
    if ([...all.values()].some((child) => !isTerminal(child.status))) throw new WaitSuspension('children', undefined);
    if (options.allowFailures) {
      return found.map(({ id, type, status, output, error }) => ({ id, type, status, output, error }) as ChildOutcome);
    }
    const failed = found.find((child) => child.status !== 'completed');
    if (failed) throw new ChildTaskFailedError(failed);
    return found.map((child) => child.output);
  }) as StepContext['waitFor'];
}
