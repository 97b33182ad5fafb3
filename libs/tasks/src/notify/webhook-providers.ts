import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { STEPWISE_DATA_SOURCE } from '../nest/port-providers';
import type { ResolvedOptions } from '../nest/resolved-options';
import { TASK_MODULE_OPTIONS } from '../nest/task-module.definition';
import type { TaskModuleOptions } from '../nest/task-module-options';
import { CLOCK, RESOLVED_OPTIONS, TASK_NOTIFIER } from '../nest/tokens';
import type { Clock } from '../ports';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookNotifier } from './webhook-notifier';
import type { WebhookOutbox } from './webhook-outbox';
import { resolveWebhookSettings, type WebhookSettings } from './webhook-settings';
import { WEBHOOK_OUTBOX, WEBHOOK_SETTINGS } from './webhook-tokens';
import { WebhooksController } from './webhooks.controller';

/** Starts the dispatcher with the app, stops it before the database closes (`onModuleDestroy` runs first). */
@Injectable()
export class WebhookLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Stepwise webhooks');

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.enabled) {
      this.logger.warn('webhooks disabled: distributed mode needs WEBHOOK_SECRET; deliveries are recorded as failed');
      return;
    }
    if (this.settings.allowPrivate) this.logger.warn('private, loopback and link-local webhook targets are allowed');
    this.dispatcher.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.dispatcher.stop();
  }
}

/** Webhooks for `TaskModule`: settings, outbox, notifier (the engine's `TASK_NOTIFIER`), dispatcher. */
export const webhookProviders: Provider[] = [
  {
    provide: WEBHOOK_SETTINGS,
    inject: [TASK_MODULE_OPTIONS, RESOLVED_OPTIONS],
    useFactory: (options: TaskModuleOptions, resolved: ResolvedOptions) =>
      resolveWebhookSettings(options.webhooks, resolved.mode),
  },
  {
    provide: WEBHOOK_OUTBOX,
    inject: [TASK_MODULE_OPTIONS, STEPWISE_DATA_SOURCE],
    useFactory: async (options: TaskModuleOptions, dataSource: DataSource | null): Promise<WebhookOutbox> => {
      if (options.webhooks?.outbox) return options.webhooks.outbox;
      if (!dataSource) return new MemoryWebhookOutbox();
      // Loaded with the database, not with the library.
      return new (await import('../adapters/typeorm/typeorm-webhook-outbox')).TypeOrmWebhookOutbox(dataSource);
    },
  },
  {
    provide: WebhookDispatcher,
    inject: [WEBHOOK_OUTBOX, WEBHOOK_SETTINGS, RESOLVED_OPTIONS, CLOCK],
    useFactory: (outbox: WebhookOutbox, settings: WebhookSettings, resolved: ResolvedOptions, clock: Clock) =>
      new WebhookDispatcher({
        outbox,
        settings,
        clock,
        logger: new Logger('Stepwise webhooks'),
        workerId: resolved.engine.workerId,
      }),
  },
  {
    provide: TASK_NOTIFIER,
    inject: [WEBHOOK_OUTBOX, WEBHOOK_SETTINGS, CLOCK, WebhookDispatcher],
    useFactory: (outbox: WebhookOutbox, settings: WebhookSettings, clock: Clock, dispatcher: WebhookDispatcher) =>
      new WebhookNotifier(outbox, settings, clock, () => dispatcher.kick()),
  },
  WebhookLifecycle,
];

export const webhookControllers: Type[] = [WebhooksController];
