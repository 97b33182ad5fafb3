import { LessThanOrEqual, MoreThan, type DataSource, type EntityManager } from 'typeorm';
import type { UploadRecord, UploadRemoval, UploadStore } from '../../ports';
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
}
