import {
  settle,
  type NewWebhookDelivery,
  type WebhookAttemptResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from '../../ports/webhook-outbox';
import { MemoryWebhookDeliveries } from './memory-webhook-deliveries';

/**
 * A WebhookOutbox in memory, with the claim semantics of the SQL one. Used
 * with a `MemoryTaskStore`, on the rows that store writes
 * (`new MemoryWebhookOutbox(store.webhookDeliveries)`); nothing survives the
 * process.
 */
export class MemoryWebhookOutbox implements WebhookOutbox {
  private readonly deliveries: Map<string, WebhookDelivery>;

  /** @param rows the rows to read: a task store's, or (by default) rows of its own. */
  constructor(private readonly rows: MemoryWebhookDeliveries = new MemoryWebhookDeliveries()) {
    this.deliveries = rows.byId;
  }

  async enqueue(delivery: NewWebhookDelivery): Promise<void> {
    this.rows.insert([delivery]);
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
}

function isDue(delivery: WebhookDelivery, now: number): boolean {
  if (delivery.status !== 'pending' || (delivery.nextAttemptAt ?? Infinity) > now) return false;
  return delivery.leaseOwner === null || (delivery.leaseExpiresAt ?? 0) <= now;
}
