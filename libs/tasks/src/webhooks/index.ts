// Webhooks: the public surface (payload, signature and its check, outbox). The wiring stays in WebhooksModule.
export type {
  NewWebhookDelivery,
  WebhookAttempt,
  WebhookAttemptResult,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookOutbox,
  WebhookOutcome,
  WebhookTarget,
} from '../ports/webhook-outbox';
export {
  DEFAULT_WEBHOOK_EVENTS,
  type WebhookOptions,
  type WebhookSecretSource,
  type WebhookSettings,
  type WebhookSubscription,
} from '../core/webhook-settings';
export type { WebhookPayload } from './webhook-payload';
export { SIGNATURE_HEADER, signWebhook, verifyWebhook, type WebhookVerification } from './webhook-signature';
export { WebhookNotifier } from './webhook-notifier';
export { WEBHOOK_OUTBOX } from './webhook-tokens';
export { TargetRefusedError, classifyAddress } from '../core/target-guard';
export type { WebhookAttemptView, WebhookDeliveryListView, WebhookDeliveryView } from './webhook-view';
export { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
export { MemoryWebhookDeliveries } from '../adapters/memory/memory-webhook-deliveries';
