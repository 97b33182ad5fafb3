import type { DataSource, EntityManager, QueryDeepPartialEntity } from 'typeorm';
import {
  newDeliveryRecord,
  settle,
  type NewWebhookDelivery,
  type WebhookAttemptResult,
  type WebhookDelivery,
  type WebhookOutbox,
} from '../../ports/webhook-outbox';
import { WebhookDeliveryEntity, type WebhookDeliveryRow } from './entities/webhook-delivery.entity';
import { gateFor, type Gate } from './serial-gate';

type Changes = QueryDeepPartialEntity<WebhookDeliveryRow>;
// WHERE clauses of updates name columns (snake_case), as in TypeOrmTaskStore.
const DUE = "status = 'pending' AND next_attempt_at <= :now AND (lease_owner IS NULL OR lease_expires_at <= :now)";

/**
 * WebhookOutbox on TypeORM (SQLite and PostgreSQL), the semantics of
 * `MemoryWebhookOutbox`, on the table that `TypeOrmTaskStore` (on the same
 * database) fills with each event's deliveries and clears with each task. A claim reads candidates, then leases each with one
 * conditional UPDATE that repeats the due condition: of two processes racing
 * for a delivery, one changes the row and the other's UPDATE matches nothing
 * (PostgreSQL re-checks the WHERE on the row it waited for), so it moves on.
 */
export class TypeOrmWebhookOutbox implements WebhookOutbox {
  private readonly gate: Gate;

  constructor(private readonly dataSource: DataSource) {
    this.gate = gateFor(dataSource);
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  enqueue(delivery: NewWebhookDelivery): Promise<void> {
    const row = newDeliveryRecord(delivery) as Changes;
    return this.gate(async () => {
      await this.em.insert(WebhookDeliveryEntity, row);
    });
  }

  claimDue(now: number, workerId: string, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.gate(async () => {
      const candidates = await this.em
        .createQueryBuilder(WebhookDeliveryEntity, 'd')
        .select(['d.id'])
        .where("d.status = 'pending' AND d.nextAttemptAt <= :now")
        .andWhere('(d.leaseOwner IS NULL OR d.leaseExpiresAt <= :now)')
        .setParameters({ now })
        .orderBy('d.nextAttemptAt', 'ASC')
        // More candidates than needed: rows another process wins first are skipped, not waited for.
        .take(limit * 4)
        .getMany();
      const won: string[] = [];
      for (const { id } of candidates) {
        if (won.length === limit) break;
        const result = await this.update({ leaseOwner: workerId, leaseExpiresAt: now + leaseMs })
          .where(`id = :id AND ${DUE}`, { id, now })
          .execute();
        if (result.affected === 1) won.push(id);
      }
      if (won.length === 0) return [];
      const rows = await this.em
        .createQueryBuilder(WebhookDeliveryEntity, 'd')
        .where('d.id IN (:...won)', { won })
        .orderBy('d.nextAttemptAt', 'ASC')
        .getMany();
      return rows.map(toDelivery);
    });
  }

  markResult(id: string, workerId: string, result: WebhookAttemptResult): Promise<boolean> {
    return this.gate(async () => {
      const row = await this.em.findOneBy(WebhookDeliveryEntity, { id });
      if (!row || row.leaseOwner !== workerId || row.status !== 'pending') return false;
      const changes = settle(toDelivery(row), result);
      const holder = "id = :id AND lease_owner = :workerId AND status = 'pending'";
      if (row.taskDeleted && changes.status !== 'pending') {
        // The task is gone and nobody will read this log: the record goes.
        const deleted = await this.em
          .createQueryBuilder()
          .delete()
          .from(WebhookDeliveryEntity)
          .where(holder, { id, workerId })
          .execute();
        return deleted.affected === 1;
      }
      // Conditional on still holding the lease: a process whose lease expired changes nothing.
      const updated = await this.update(changes as Changes)
        .where(holder, { id, workerId })
        .execute();
      return updated.affected === 1;
    });
  }

  release(id: string, workerId: string): Promise<void> {
    return this.gate(async () => {
      await this.update({ leaseOwner: null, leaseExpiresAt: null })
        .where('id = :id AND lease_owner = :workerId', { id, workerId })
        .execute();
    });
  }

  listForTask(taskId: string): Promise<WebhookDelivery[]> {
    return this.gate(async () => {
      const rows = await this.em
        .createQueryBuilder(WebhookDeliveryEntity, 'd')
        .where('d.taskId = :taskId', { taskId })
        .orderBy('d.createdAt', 'ASC')
        .addOrderBy('d.id', 'ASC')
        .getMany();
      return rows.map(toDelivery);
    });
  }

  private update(set: Changes) {
    return this.em.createQueryBuilder().update(WebhookDeliveryEntity).set(set);
  }
}

function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return { ...row, taskDeleted: Boolean(row.taskDeleted), history: row.history ?? [] };
}
