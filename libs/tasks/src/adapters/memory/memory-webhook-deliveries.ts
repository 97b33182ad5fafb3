import type { NewWebhookDelivery } from '../../ports';
import { newDeliveryRecord, TERMINAL_WEBHOOK_EVENTS, type WebhookDelivery } from '../../ports/webhook-outbox';

/**
 * The rows of the in-memory webhook outbox: `MemoryTaskStore` writes them in
 * the same synchronous step as the events they announce (and removes them
 * with the task), `MemoryWebhookOutbox` reads and updates them to send them.
 */
export class MemoryWebhookDeliveries {
  readonly byId = new Map<string, WebhookDelivery>();

  /** Adds every delivery, or none when one id is taken (as a failed INSERT rolls back). */
  insert(deliveries: readonly NewWebhookDelivery[]): void {
    const ids = new Set<string>();
    for (const { id } of deliveries) {
      if (this.byId.has(id) || ids.has(id)) throw new Error(`duplicate webhook delivery id ${id}`);
      ids.add(id);
    }
    for (const delivery of deliveries) this.byId.set(delivery.id, newDeliveryRecord(delivery));
  }

  /**
   * The task was deleted: its deliveries go, except the pending ones of
   * terminal events, which are still sent, then removed once settled.
   */
  forgetTask(taskId: string): void {
    for (const [id, delivery] of this.byId) {
      if (delivery.taskId !== taskId) continue;
      if (delivery.status === 'pending' && TERMINAL_WEBHOOK_EVENTS.includes(delivery.event)) {
        delivery.taskDeleted = true;
      } else {
        this.byId.delete(id);
      }
    }
  }
}
