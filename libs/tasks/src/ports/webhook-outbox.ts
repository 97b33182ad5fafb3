import { TERMINAL_EVENT_TYPES, type TaskEventType } from '../model';
import type { NewWebhookDelivery } from '.';

// Defined with the ports (the task store writes new deliveries); part of the webhooks' surface too.
export type { NewWebhookDelivery, WebhookTarget } from '.';

/**
 * - `pending`: will be (re)attempted at `nextAttemptAt`; `attempts` may be > 0.
 * - `delivered`: the target answered 2xx.
 * - `failed`: given up at once, without retries (target refused by the
 *   private-address guard, invalid URL, webhooks disabled for want of a secret).
 * - `exhausted`: `maxAttempts` attempts failed.
 */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'exhausted';

/** One HTTP attempt, kept in the delivery log. */
export interface WebhookAttempt {
  /** 1-based. */
  attempt: number;
  /** Start of the attempt, epoch ms. */
  at: number;
  /** The answer's status code; null when there was none (refused, timeout, connection error). */
  statusCode: number | null;
  /** Why the attempt failed; null when delivered. */
  error: string | null;
  durationMs: number;
}

/** A delivery and its log, as stored. Times are epoch milliseconds. */
export interface WebhookDelivery extends Pick<
  NewWebhookDelivery,
  'id' | 'taskId' | 'event' | 'url' | 'target' | 'payload' | 'maxAttempts'
> {
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  /** Null once no attempt is due any more. */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** The task was deleted while this delivery was pending: the record goes once it is settled. */
  taskDeleted: boolean;
  history: WebhookAttempt[];
  createdAt: number;
  updatedAt: number;
}

/** What became of one attempt. */
export type WebhookOutcome =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'failed' }
  | { status: 'exhausted' };

export interface WebhookAttemptResult {
  /** The attempt that was made (its number is the new `attempts`). */
  attempt: WebhookAttempt;
  outcome: WebhookOutcome;
  now: number;
}

/**
 * The durable outbox of webhook deliveries. The task store adds the
 * deliveries of each event in the event's own transaction, and deletes a
 * task's with the task (see `TaskStore`); the outbox reads the same storage
 * to send them. Claims are conditional, like the task claims: of several
 * processes polling the same database, exactly one gets a given due delivery
 * until its lease expires, and only the lease holder can record the result.
 */
export interface WebhookOutbox {
  /** Adds a delivery on its own (deliveries of events come through the task store). */
  enqueue(delivery: NewWebhookDelivery): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries due at `now` (oldest due first)
   * whose lease is free or expired, for `leaseMs`.
   */
  claimDue(now: number, workerId: string, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Records an attempt and its outcome and frees the lease; false (and no
   * change) when `workerId` no longer holds the lease. A settled delivery of
   * a deleted task is removed instead.
   */
  markResult(id: string, workerId: string, result: WebhookAttemptResult): Promise<boolean>;
  /** Frees a lease without counting an attempt (shutdown). */
  release(id: string, workerId: string): Promise<void>;
  /** The task's deliveries, oldest first. */
  listForTask(taskId: string): Promise<WebhookDelivery[]>;
}

/** Events after which a task never changes: their pending deliveries outlive a delete. */
export const TERMINAL_WEBHOOK_EVENTS: readonly TaskEventType[] = TERMINAL_EVENT_TYPES;

/** The state change `markResult` applies; shared by the adapters so they agree. */
export function settle(
  delivery: Pick<WebhookDelivery, 'history' | 'deliveredAt'>,
  result: WebhookAttemptResult,
): Pick<
  WebhookDelivery,
  | 'status'
  | 'attempts'
  | 'lastStatusCode'
  | 'lastError'
  | 'nextAttemptAt'
  | 'deliveredAt'
  | 'history'
  | 'leaseOwner'
  | 'leaseExpiresAt'
  | 'updatedAt'
> {
  const { attempt, outcome, now } = result;
  return {
    status: outcome.status,
    attempts: attempt.attempt,
    lastStatusCode: attempt.statusCode,
    lastError: attempt.error,
    nextAttemptAt: outcome.status === 'pending' ? outcome.nextAttemptAt : null,
    deliveredAt: outcome.status === 'delivered' ? now : delivery.deliveredAt,
    history: [...delivery.history, attempt],
    leaseOwner: null,
    leaseExpiresAt: null,
    updatedAt: now,
  };
}

/** A new record from an enqueue request. */
export function newDeliveryRecord(delivery: NewWebhookDelivery): WebhookDelivery {
  const failed = delivery.failedWith !== undefined;
  return {
    id: delivery.id,
    taskId: delivery.taskId,
    event: delivery.event,
    url: delivery.url,
    target: delivery.target,
    payload: delivery.payload,
    status: failed ? 'failed' : 'pending',
    attempts: 0,
    maxAttempts: delivery.maxAttempts,
    lastStatusCode: null,
    lastError: delivery.failedWith ?? null,
    nextAttemptAt: failed ? null : delivery.nextAttemptAt,
    deliveredAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    taskDeleted: false,
    history: [],
    createdAt: delivery.createdAt,
    updatedAt: delivery.createdAt,
  };
}
