/** The webhook outbox (a `WebhookOutbox`). */
export const WEBHOOK_OUTBOX = Symbol.for('stepwise:WebhookOutbox');
/**
 * The outbox that reads the deliveries the task store writes, or null when
 * there is none (a store override of unknown kind, without `webhooks.outbox`).
 */
export const STORE_WEBHOOK_OUTBOX = Symbol.for('stepwise:StoreWebhookOutbox');
