import type { ApiKeyRecord, ApiKeyStore } from '../../ports';

/** ApiKeyStore in memory: the reference of the contract, and the store when Stepwise has no database of its own. */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly keys = new Map<string, ApiKeyRecord>();

  async create(record: ApiKeyRecord): Promise<void> {
    if (this.keys.has(record.id)) throw new Error(`API key ${record.id} exists already`);
    this.keys.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const record = this.keys.get(id);
    return record ? structuredClone(record) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map((record) => structuredClone(record));
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const record = this.keys.get(id);
    if (!record || record.revokedAt !== null) return false;
    record.revokedAt = at;
    return true;
  }
}
