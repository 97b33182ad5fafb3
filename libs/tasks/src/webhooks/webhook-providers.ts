import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { MemoryTaskStore } from '../adapters/memory/memory-task-store';
import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { STEPWISE_DATA_SOURCE } from '../core/tokens';
import type { ResolvedOptions } from '../core/resolved-options';
import { TASK_MODULE_OPTIONS } from '../core/task-module.definition';
import type { TaskModuleOptions } from '../core/task-module-options';
import { CLOCK, RESOLVED_OPTIONS, TASK_NOTIFIER, TASK_OBSERVER, TASK_STORE, WEBHOOK_SETTINGS } from '../core/tokens';
import type { Clock, TaskObserver, TaskStore } from '../ports';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookNotifier } from './webhook-notifier';
import type { WebhookOutbox } from '../ports/webhook-outbox';
import type { WebhookSettings } from '../core/webhook-settings';
import { STORE_WEBHOOK_OUTBOX, WEBHOOK_OUTBOX } from './webhook-tokens';

/** Starts the dispatcher with the app, stops it before the database closes (`onModuleDestroy` runs first). */
@Injectable()
export class WebhookLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Stepwise webhooks');

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
    @Inject(STORE_WEBHOOK_OUTBOX) private readonly storeOutbox: WebhookOutbox | null,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.storeOutbox) {
      this.logger.warn(
        'webhooks off: the task store override writes deliveries no known outbox reads; pass webhooks.outbox (on the same database)',
      );
      return;
    }
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

/** Webhooks: outbox, notifier (the engine's `TASK_NOTIFIER`), dispatcher. The settings are core's (submits check callback URLs). */
export const webhookProviders: Provider[] = [
  {
    provide: STORE_WEBHOOK_OUTBOX,
    inject: [TASK_MODULE_OPTIONS, STEPWISE_DATA_SOURCE, TASK_STORE],
    useFactory: storeWebhookOutbox,
  },
  {
    provide: WEBHOOK_OUTBOX,
    inject: [STORE_WEBHOOK_OUTBOX],
    // Without one, an empty log: nothing is ever enqueued.
    useFactory: (outbox: WebhookOutbox | null): WebhookOutbox => outbox ?? new MemoryWebhookOutbox(),
  },
  {
    provide: WebhookDispatcher,
    inject: [WEBHOOK_OUTBOX, WEBHOOK_SETTINGS, RESOLVED_OPTIONS, CLOCK, { token: TASK_OBSERVER, optional: true }],
    useFactory: (
      outbox: WebhookOutbox,
      settings: WebhookSettings,
      resolved: ResolvedOptions,
      clock: Clock,
      observer: TaskObserver | undefined,
    ) =>
      new WebhookDispatcher({
        outbox,
        settings,
        clock,
        observer,
        logger: new Logger('Stepwise webhooks'),
        workerId: resolved.engine.workerId,
      }),
  },
  {
    provide: TASK_NOTIFIER,
    inject: [STORE_WEBHOOK_OUTBOX, WEBHOOK_SETTINGS, CLOCK, WebhookDispatcher],
    // The engine hands the notifier's deliveries to the store: pointless when no outbox reads them.
    useFactory: (
      outbox: WebhookOutbox | null,
      settings: WebhookSettings,
      clock: Clock,
      dispatcher: WebhookDispatcher,
    ) => (outbox ? new WebhookNotifier(settings, clock, () => dispatcher.kick()) : undefined),
  },
  WebhookLifecycle,
];

/**
 * The outbox on the storage the task store writes deliveries to, since the
 * store adds them in each event's transaction: the user's `webhooks.outbox`
 * (which must read what their store writes), the Stepwise database's, or a
 * memory store's own rows.
 */
async function storeWebhookOutbox(
  options: TaskModuleOptions,
  dataSource: DataSource | null,
  store: TaskStore,
): Promise<WebhookOutbox | null> {
  if (options.webhooks?.outbox) return options.webhooks.outbox;
  // Loaded with the database, not with the library.
  if (dataSource)
    return new (await import('../adapters/typeorm/typeorm-webhook-outbox')).TypeOrmWebhookOutbox(dataSource);
  if (store instanceof MemoryTaskStore) return new MemoryWebhookOutbox(store.webhookDeliveries);
  return null;
}
