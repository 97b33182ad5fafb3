import { randomUUID } from 'node:crypto';
import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { Clock, NewWebhookDelivery, TaskNotifier, WebhookTarget } from '../ports';
import { webhookPayload } from './webhook-payload';
import type { WebhookSettings } from '../core/webhook-settings';

const DISABLED =
  'webhooks are disabled: no WEBHOOK_SECRET (webhooks.secret) is configured, which distributed mode requires';

/**
 * Turns recorded events into outbox entries: one delivery per selected
 * event and target (the task's `callbackUrl`, each global subscription).
 * The task store writes them with the event, in its transaction; sending is
 * the dispatcher's job, so a slow receiver never slows a task down.
 */
export class WebhookNotifier implements TaskNotifier {
  constructor(
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
    /** Told once deliveries are committed, so the local dispatcher sends at once instead of at its next poll. */
    private readonly onEnqueued: () => void = () => undefined,
    private readonly newId: () => string = randomUUID,
  ) {}

  deliveriesFor(task: TaskRecord, event: TaskEvent): NewWebhookDelivery[] {
    const now = this.clock.now();
    return this.targets(task, event.type).map(({ url, target }) => {
      const id = this.newId();
      return {
        id,
        taskId: task.id,
        event: event.type,
        url,
        target,
        // The payload never depends on the event's `seq`: it is built before the write assigns one.
        payload: JSON.stringify(webhookPayload(id, task, event)),
        maxAttempts: this.settings.maxAttempts,
        createdAt: now,
        nextAttemptAt: now,
        ...(this.settings.enabled ? {} : { failedWith: DISABLED }),
      };
    });
  }

  listensTo(type: TaskEventType): boolean {
    return (
      this.settings.callbackEvents.includes(type) || this.settings.subscriptions.some((s) => s.events.includes(type))
    );
  }

  async notify(task: TaskRecord, event: TaskEvent): Promise<void> {
    if (this.settings.enabled && this.targets(task, event.type).length > 0) this.onEnqueued();
  }

  private targets(task: TaskRecord, type: TaskEventType): Array<{ url: string; target: WebhookTarget }> {
    const targets: Array<{ url: string; target: WebhookTarget }> = [];
    if (task.callbackUrl && this.settings.callbackEvents.includes(type)) {
      targets.push({ url: task.callbackUrl, target: 'callback' });
    }
    for (const subscription of this.settings.subscriptions) {
      if (subscription.events.includes(type)) targets.push({ url: subscription.url, target: 'subscription' });
    }
    return targets;
  }
}
