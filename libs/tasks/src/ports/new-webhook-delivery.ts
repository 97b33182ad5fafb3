import type { TaskEventType } from '../model';

/** Where a delivery goes: the task's own `callbackUrl`, or a global subscription of the module options. */
export type WebhookTarget = 'callback' | 'subscription';

/**
 * A webhook delivery to add to the outbox. The task store writes it in the
 * same transaction as the event it announces, so an event is never committed
 * without its deliveries, nor a delivery without its event. The payload is
 * final: every attempt sends these exact bytes.
 */
export interface NewWebhookDelivery {
  id: string;
  taskId: string;
  event: TaskEventType;
  url: string;
  target: WebhookTarget;
  /** The JSON body, serialised once. */
  payload: string;
  maxAttempts: number;
  createdAt: number;
  /** First attempt not before this (usually `createdAt`). */
  nextAttemptAt: number;
  /** Enqueue as `failed` right away, with this reason (no attempt will be made). */
  failedWith?: string;
}
