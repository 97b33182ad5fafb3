import { ApiProperty } from '@nestjs/swagger';
import { TASK_EVENT_TYPES, type TaskEventType } from '../model';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookTarget } from '../ports/webhook-outbox';

/** One attempt in `GET /tasks/{id}/webhooks`. */
export interface WebhookAttemptView {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One delivery in `GET /tasks/{id}/webhooks`. */
export interface WebhookDeliveryView {
  id: string;
  /** The callback URL without credentials; only the origin for a global subscription. */
  url: string;
  target: WebhookTarget;
  event: TaskEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  maxAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  history: WebhookAttemptView[];
}

export interface WebhookDeliveryListView {
  items: WebhookDeliveryView[];
}

/**
 * Built field by field: the payload and the lease stay inside. A global
 * subscription is the operator's, not the task owner's: its URL (which may
 * carry a token in its path) is shown as an origin only.
 */
export function toDeliveryView(delivery: WebhookDelivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    url: displayUrl(delivery.url, delivery.target),
    target: delivery.target,
    event: delivery.event,
    status: delivery.status,
    attempts: delivery.attempts,
    maxAttempts: delivery.maxAttempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    deliveredAt: iso(delivery.deliveredAt),
    createdAt: iso(delivery.createdAt) ?? new Date(0).toISOString(),
    history: delivery.history.map((a) => ({
      attempt: a.attempt,
      at: iso(a.at) ?? new Date(0).toISOString(),
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
    })),
  };
}

function displayUrl(raw: string, target: WebhookTarget): string {
  try {
    const url = new URL(raw);
    if (target === 'subscription') return url.origin;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return target === 'subscription' ? '(subscription)' : raw;
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const STATUSES: WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed', 'exhausted'];

export class WebhookAttemptDto implements WebhookAttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: Number, nullable: true, example: 500 }) statusCode!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500' }) error!: string | null;
  @ApiProperty() durationMs!: number;
}

export class WebhookDeliveryDto implements WebhookDeliveryView {
  @ApiProperty({ format: 'uuid', description: 'Also the `id` of the body and `X-Stepwise-Delivery`' }) id!: string;
  @ApiProperty({ example: 'https://hooks.example.com/stepwise' }) url!: string;
  @ApiProperty({ enum: ['callback', 'subscription'] }) target!: WebhookTarget;
  @ApiProperty({ enum: [...TASK_EVENT_TYPES], example: 'task.completed' }) event!: TaskEventType;
  @ApiProperty({ enum: STATUSES }) status!: WebhookDeliveryStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ type: Number, nullable: true }) lastStatusCode!: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: () => [WebhookAttemptDto] }) history!: WebhookAttemptView[];
}

export class WebhookDeliveryListDto implements WebhookDeliveryListView {
  @ApiProperty({ type: () => [WebhookDeliveryDto] }) items!: WebhookDeliveryView[];
}
