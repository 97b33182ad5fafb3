/** The webhook outbox (a `WebhookOutbox`). */
export const WEBHOOK_OUTBOX = Symbol.for('stepwise:WebhookOutbox');
/** The resolved webhook settings (a `WebhookSettings`). */
export const WEBHOOK_SETTINGS = Symbol.for('stepwise:WebhookSettings');
