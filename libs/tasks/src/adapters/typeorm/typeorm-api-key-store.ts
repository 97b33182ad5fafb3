import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import type { ApiKeyRecord, ApiKeyStore } from '../../ports';
import { ApiKeyEntity } from './entities/api-key.entity';
import { gateFor, type Gate } from './serial-gate';

/** ApiKeyStore on TypeORM (SQLite and PostgreSQL), the semantics of `MemoryApiKeyStore`. */
export class TypeOrmApiKeyStore implements ApiKeyStore {
  private readonly gate: Gate;

  constructor(private readonly dataSource: DataSource) {
    this.gate = gateFor(dataSource);
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  create(record: ApiKeyRecord): Promise<void> {
    return this.gate(async () => {
      await this.em.insert(ApiKeyEntity, record);
    });
  }

  get(id: string): Promise<ApiKeyRecord | null> {
    return this.gate(() => this.em.findOneBy(ApiKeyEntity, { id }));
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.gate(() => this.em.find(ApiKeyEntity, { order: { createdAt: 'ASC', id: 'ASC' } }));
  }

  revoke(id: string, at: number): Promise<boolean> {
    return this.gate(async () => {
      // Conditional: of two revocations one wins, and a revocation time is never moved.
      const result = await this.em.update(ApiKeyEntity, { id, revokedAt: IsNull() }, { revokedAt: at });
      return (result.affected ?? 0) > 0;
    });
  }
}
