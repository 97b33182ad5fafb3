import { randomUUID } from 'node:crypto';
import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import type { Clock, TaskNotifier } from '../ports';
import type { WebhookOutbox, WebhookTarget } from './webhook-outbox';
import { webhookPayload } from './webhook-payload';
import type { WebhookSettings } from './webhook-settings';

const DISABLED =
  'webhooks are disabled: no WEBHOOK_SECRET (webhooks.secret) is configured, which distributed mode requires';

/**
 * Turns recorded events into outbox entries: one delivery per selected
 * event and target (the task's `callbackUrl`, each global subscription).
 * Called once per event, in the process that recorded it; sending is the
 * dispatcher's job, so a slow receiver never slows a task down.
 */
export class WebhookNotifier implements TaskNotifier {
  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly settings: WebhookSettings,
    private readonly clock: Clock,
    /** Told after an enqueue, so the local dispatcher sends at once instead of at its next poll. */
    private readonly onEnqueued: () => void = () => undefined,
    private readonly newId: () => string = randomUUID,
  ) {}

  async notify(task: TaskRecord, event: TaskEvent): Promise<void> {
    const targets = this.targets(task, event.type);
    if (targets.length === 0) return;
    const now = this.clock.now();
    for (const { url, target } of targets) {
      const id = this.newId();
      await this.outbox.enqueue({
        id,
        taskId: task.id,
        event: event.type,
        url,
        target,
        payload: JSON.stringify(webhookPayload(id, task, event)),
        maxAttempts: this.settings.maxAttempts,
        createdAt: now,
        nextAttemptAt: now,
        ...(this.settings.enabled ? {} : { failedWith: DISABLED }),
      });
    }
    if (this.settings.enabled) this.onEnqueued();
  }

  /** The task was deleted: its log goes, its pending terminal notifications are still sent. */
  async forget(taskId: string): Promise<void> {
    await this.outbox.deleteForTask(taskId);
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
