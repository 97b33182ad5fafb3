import type { TaskError, TaskEvent, TaskEventType, TaskRecord, TaskStatus } from '../model';

/** The JSON body of every webhook request. */
export interface WebhookPayload {
  /** The delivery id (also `X-Stepwise-Delivery`): the same on every retry, so receivers can deduplicate. */
  id: string;
  event: TaskEventType;
  taskId: string;
  taskType: string;
  status: TaskStatus;
  progress: number;
  step?: string;
  message?: string;
  /** When the event happened, ISO 8601. */
  at: string;
  /** `task.completed`: the task's output. */
  output?: unknown;
  /** `task.failed` and `task.cancelled`: the task's error, when it has one. */
  error?: TaskError;
}

export function webhookPayload(deliveryId: string, task: TaskRecord, event: TaskEvent): WebhookPayload {
  const payload: WebhookPayload = {
    id: deliveryId,
    event: event.type,
    taskId: event.taskId,
    taskType: event.taskType,
    status: event.status,
    progress: event.progress,
    ...(event.step ? { step: event.step } : {}),
    ...(event.message ? { message: event.message } : {}),
    at: new Date(event.at).toISOString(),
  };
  if (event.type === 'task.completed') payload.output = task.output ?? null;
  if ((event.type === 'task.failed' || event.type === 'task.cancelled') && task.error) {
    payload.error = { ...task.error };
  }
  return payload;
}
