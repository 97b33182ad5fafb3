import {
  newDeliveryRecord,
  settle,
  TERMINAL_WEBHOOK_EVENTS,
  type NewWebhookDelivery,
  type WebhookAttemptResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from '../../notify/webhook-outbox';

/**
 * A WebhookOutbox in memory, with the claim semantics of the SQL one. Used
 * when the task store is an override (no Stepwise database): nothing survives
 * the process, so pass `webhooks.outbox` for durable retries.
 */
export class MemoryWebhookOutbox implements WebhookOutbox {
  private readonly deliveries = new Map<string, WebhookDelivery>();

  async enqueue(delivery: NewWebhookDelivery): Promise<void> {
    if (this.deliveries.has(delivery.id)) throw new Error(`duplicate webhook delivery id ${delivery.id}`);
    this.deliveries.set(delivery.id, newDeliveryRecord(delivery));
  }

  async claimDue(now: number, workerId: string, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    // No await between the filter and the lease: concurrent claims never share a delivery.
    const due = [...this.deliveries.values()]
      .filter((d) => isDue(d, now))
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0))
      .slice(0, Math.max(0, limit));
    for (const delivery of due) {
      delivery.leaseOwner = workerId;
      delivery.leaseExpiresAt = now + leaseMs;
    }
    return due.map((d) => structuredClone(d));
  }

  async markResult(id: string, workerId: string, result: WebhookAttemptResult): Promise<boolean> {
    const delivery = this.deliveries.get(id);
    if (!delivery || delivery.leaseOwner !== workerId || delivery.status !== 'pending') return false;
    const next = { ...delivery, ...settle(delivery, result) };
    if (next.taskDeleted && next.status !== 'pending') this.deliveries.delete(id);
    else this.deliveries.set(id, next);
    return true;
  }

  async release(id: string, workerId: string): Promise<void> {
    const delivery = this.deliveries.get(id);
    if (!delivery || delivery.leaseOwner !== workerId) return;
    delivery.leaseOwner = null;
    delivery.leaseExpiresAt = null;
  }

  async listForTask(taskId: string): Promise<WebhookDelivery[]> {
    return [...this.deliveries.values()]
      .filter((d) => d.taskId === taskId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map((d) => structuredClone(d));
  }

  async deleteForTask(taskId: string): Promise<void> {
    for (const [id, delivery] of this.deliveries) {
      if (delivery.taskId !== taskId) continue;
      if (delivery.status === 'pending' && TERMINAL_WEBHOOK_EVENTS.includes(delivery.event)) {
        delivery.taskDeleted = true;
      } else {
        this.deliveries.delete(id);
      }
    }
  }
}

function isDue(delivery: WebhookDelivery, now: number): boolean {
  if (delivery.status !== 'pending' || (delivery.nextAttemptAt ?? Infinity) > now) return false;
  return delivery.leaseOwner === null || (delivery.leaseExpiresAt ?? 0) <= now;
}
