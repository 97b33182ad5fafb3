import { EntitySchema } from 'typeorm';
import type { WebhookDelivery } from '../../../ports/webhook-outbox';
import { intColumn, jsonColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_webhook_deliveries`: the delivery, its lease and its attempt log. */
export type WebhookDeliveryRow = WebhookDelivery;

/**
 * The webhook outbox. `payload` is plain text, not a JSON column: every
 * attempt must send the exact bytes serialised at enqueue time. No foreign
 * key to the task: terminal notifications outlive a deleted task.
 */
export const WebhookDeliveryEntity = new EntitySchema<WebhookDeliveryRow>({
  name: 'StepwiseWebhookDelivery',
  tableName: 'stepwise_webhook_deliveries',
  columns: {
    id: { ...stringColumn('id'), primary: true },
    taskId: stringColumn('task_id'),
    event: stringColumn('event'),
    url: { name: 'url', type: 'text' },
    target: stringColumn('target'),
    payload: { name: 'payload', type: 'text' },
    status: stringColumn('status'),
    attempts: intColumn('attempts'),
    maxAttempts: intColumn('max_attempts'),
    lastStatusCode: { name: 'last_status_code', type: 'integer', nullable: true },
    lastError: { name: 'last_error', type: 'text', nullable: true },
    nextAttemptAt: timeColumn('next_attempt_at', true),
    deliveredAt: timeColumn('delivered_at', true),
    leaseOwner: stringColumn('lease_owner', true),
    leaseExpiresAt: timeColumn('lease_expires_at', true),
    taskDeleted: { name: 'task_deleted', type: 'boolean' },
    history: jsonColumn('history'),
    createdAt: timeColumn('created_at'),
    updatedAt: timeColumn('updated_at'),
  },
});
