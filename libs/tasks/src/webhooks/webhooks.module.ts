import { Global, Module } from '@nestjs/common';
import { TASK_NOTIFIER } from '../core/tokens';
import { webhookProviders } from './webhook-providers';
import { WEBHOOK_OUTBOX } from './webhook-tokens';
import { WebhooksController } from './webhooks.controller';

/**
 * Webhooks: a durable outbox per task event, its dispatcher, and
 * `GET /tasks/{id}/webhooks`. Global because it provides the engine's
 * `TASK_NOTIFIER` port, which the core module injects.
 */
@Global()
@Module({
  controllers: [WebhooksController],
  providers: webhookProviders,
  exports: [TASK_NOTIFIER, WEBHOOK_OUTBOX],
})
export class WebhooksModule {}
