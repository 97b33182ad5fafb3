import { LessThanOrEqual, MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { UploadRecord, UploadRemoval, UploadReservation, UploadStore } from '../../ports';
import { UploadEntity } from './entities/upload.entity';
import { gateFor, type Gate } from './serial-gate';

/** UploadStore on TypeORM (SQLite and PostgreSQL), the semantics of `MemoryUploadStore`. */
export class TypeOrmUploadStore implements UploadStore {
  private readonly gate: Gate;

  constructor(private readonly dataSource: DataSource) {
    this.gate = gateFor(dataSource);
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  create(record: UploadRecord): Promise<void> {
    return this.gate(async () => {
      await this.em.insert(UploadEntity, record);
    });
  }

  get(id: string): Promise<UploadRecord | null> {
    return this.gate(() => this.em.findOneBy(UploadEntity, { id }));
  }

  findBySha256(sha256: string, notExpiringBefore: number): Promise<UploadRecord | null> {
    return this.gate(() =>
      this.em.findOne(UploadEntity, {
        where: { sha256, expiresAt: MoreThan(notExpiringBefore) },
        order: { expiresAt: 'DESC' },
      }),
    );
  }

  setContentKey(id: string, contentKey: string): Promise<void> {
    return this.gate(async () => {
      await this.em.update(UploadEntity, { id }, { contentKey });
    });
  }

  delete(id: string): Promise<UploadRemoval | null> {
    return this.gate(() =>
      // One transaction: the reference count is read with the delete it follows.
      this.dataSource.transaction(async (em) => {
        const record = await em.findOneBy(UploadEntity, { id });
        if (!record) return null;
        await em.delete(UploadEntity, { id });
        const others = await em.countBy(UploadEntity, { contentKey: record.contentKey });
        return { contentKey: record.contentKey, contentUnused: others === 0 };
      }),
    );
  }

  findExpired(now: number, limit: number): Promise<UploadRecord[]> {
    return this.gate(() =>
      this.em.find(UploadEntity, {
        where: { expiresAt: LessThanOrEqual(now) },
        order: { expiresAt: 'ASC' },
        take: limit,
      }),
    );
  }

  // The reservations of uploads in progress: plain SQL on a table with no entity (nothing else reads it).

  reserve(reservation: UploadReservation): Promise<void> {
    const { id, owner, size, createdAt, expiresAt } = reservation;
    return this.gate(async () => {
      await this.em.query(
        `INSERT INTO stepwise_upload_reservations (id, owner, size, created_at, expires_at) VALUES (${this.params(5)})`,
        [id, owner, size, createdAt, expiresAt],
      );
    });
  }

  reserveWithin(reservation: UploadReservation, max: number): Promise<number | null> {
    const { id, owner, size, createdAt, expiresAt } = reservation;
    const postgres = this.dataSource.options.type === 'postgres';
    return this.gate(() =>
      this.dataSource.transaction(async (em) => {
        // The owner's creations under the quota queue here (SQLite: the gate serialises them already).
        if (postgres) await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stepwise:uploads:${owner}`]);
        const [p1, p2] = this.params(2).split(', ');
        const [row] = (await em.query(
          `SELECT COUNT(*) AS n FROM stepwise_upload_reservations WHERE owner = ${p1} AND expires_at > ${p2}`,
          [owner, createdAt],
        )) as Array<{ n: string | number }>;
        const open = Number(row?.n ?? 0);
        if (open >= max) return open;
        await em.query(
          `INSERT INTO stepwise_upload_reservations (id, owner, size, created_at, expires_at) VALUES (${this.params(5)})`,
          [id, owner, size, createdAt, expiresAt],
        );
        return null;
      }),
    );
  }

  release(id: string): Promise<void> {
    return this.gate(async () => {
      await this.em.query(`DELETE FROM stepwise_upload_reservations WHERE id = ${this.params(1)}`, [id]);
    });
  }

  releaseExpired(now: number, limit: number): Promise<number> {
    return this.gate(async () => {
      const [p1, p2] = this.params(2).split(', ');
      const expired = (await this.em.query(
        `SELECT id FROM stepwise_upload_reservations WHERE expires_at <= ${p1} ORDER BY expires_at LIMIT ${p2}`,
        [now, limit],
      )) as Array<{ id: string }>;
      for (const { id } of expired) {
        await this.em.query(`DELETE FROM stepwise_upload_reservations WHERE id = ${this.params(1)}`, [id]);
      }
      return expired.length;
    });
  }

  countOpen(owner: string, now: number): Promise<number> {
    return this.gate(async () => {
      const [p1, p2] = this.params(2).split(', ');
      const [row] = (await this.em.query(
        `SELECT COUNT(*) AS n FROM stepwise_upload_reservations WHERE owner = ${p1} AND expires_at > ${p2}`,
        [owner, now],
      )) as Array<{ n: string | number }>;
      return Number(row?.n ?? 0);
    });
  }

  finishedBytes(owner: string): Promise<number> {
    return this.gate(async () => {
      const [row] = (await this.em.query(
        `SELECT COALESCE(SUM(size), 0) AS bytes FROM stepwise_uploads WHERE owner = ${this.params(1)}`,
        [owner],
      )) as Array<{ bytes: string | number }>;
      return Number(row?.bytes ?? 0);
    });
  }

  /** `n` placeholders for the database at hand: `$1, $2` on PostgreSQL, `?, ?` on SQLite. */
  private params(n: number): string {
    const postgres = this.dataSource.options.type === 'postgres';
    return Array.from({ length: n }, (_, i) => (postgres ? `$${i + 1}` : '?')).join(', ');
  }
}
