import { isTerminal, WAIT_FOREVER_MS, type StepRecord, type TaskError, type TaskRecord } from '../model';
import type { ChildTaskView, StepView, TaskErrorView, TaskResultView, TaskView } from './task-view';

/**
 * Builds the public view of a task. Fields are copied one by one, never
 * spread: lease, version, owner, input and flags stay inside.
 *
 * @param base - path of the tasks collection as mounted, e.g. `/tasks`.
 */
export function toTaskView(task: TaskRecord, base: string, children: readonly ChildTaskView[] = []): TaskView {
  const self = `${base}/${task.id}`;
  const completed = task.status === 'completed';
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    progress: task.progress,
    message: task.message,
    steps: task.steps.map(toStepView),
    createdAt: iso(task.createdAt) ?? new Date(0).toISOString(),
    // A task waiting for its time (a delayed submit, a retry's backoff) says when it is due.
    ...(task.status === 'pending' && task.runAt > task.createdAt ? { runAt: iso(task.runAt)! } : {}),
    ...(task.status === 'waiting' ? waitView(task) : {}),
    ...(task.parentId ? { parentId: task.parentId } : {}),
    ...(children.length > 0 ? { children: children.map(({ id, type, status }) => ({ id, type, status })) } : {}),
    ...(task.singletonKey !== null ? { singletonKey: task.singletonKey } : {}),
    // Cleared by the claim that starts it: said only while nobody runs it.
    ...(task.heldBack && !isTerminal(task.status) && task.leaseOwner === null
      ? { heldBack: { reason: task.heldBack.reason, since: iso(task.heldBack.since)! } }
      : {}),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
    error: toErrorView(task.error),
    links: {
      self,
      events: `${self}/events`,
      audit: `${self}/audit`,
      ...(completed ? { result: `${self}/result` } : {}),
      ...(completed && task.resultFile ? { download: `${self}/download` } : {}),
    },
  };
}

/** What a waiting task waits for, and until when (a wait without a timeout has no end to show). */
function waitView(task: TaskRecord): Pick<TaskView, 'runAt' | 'waitingFor'> {
  const bounded = task.runAt - task.updatedAt < WAIT_FOREVER_MS / 2;
  return {
    ...(task.waitingFor ? { waitingFor: task.waitingFor } : {}),
    ...(bounded ? { runAt: iso(task.runAt)! } : {}),
  };
}

/** What the view of a result adds when the storage serves the file directly. */
export interface ResultViewExtras {
  /** A presigned URL of the result file (`presignDownloads`). */
  presignedUrl?: string;
}

/** The result of a completed task; the caller checks the status. */
export function toResultView(task: TaskRecord, base: string, extras: ResultViewExtras = {}): TaskResultView {
  const file = task.resultFile;
  return {
    id: task.id,
    type: task.type,
    status: 'completed',
    output: task.output ?? null,
    ...(file
      ? {
          file: {
            name: file.name,
            size: file.size,
            contentType: file.contentType,
            downloadUrl: `${base}/${task.id}/download`,
            ...(extras.presignedUrl ? { presignedUrl: extras.presignedUrl } : {}),
          },
        }
      : {}),
  };
}

export function toErrorView(error: TaskError | null): TaskErrorView | null {
  if (!error) return null;
  return {
    name: error.name,
    message: error.message,
    ...(error.code ? { code: error.code } : {}),
    ...(error.step ? { step: error.step } : {}),
  };
}

function toStepView(step: StepRecord): StepView {
  return {
    name: step.name,
    on: step.on,
    status: step.status,
    attempts: step.attempts,
    progress: step.progress,
    startedAt: iso(step.startedAt),
    finishedAt: iso(step.finishedAt),
    error: toErrorView(step.error),
  };
}

function iso(ms: number | null): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
