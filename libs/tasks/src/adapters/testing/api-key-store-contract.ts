import { randomUUID } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../../ports';

export interface ApiKeyStoreUnderTest {
  store: ApiKeyStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;

export function apiKeyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomUUID(),
    owner: 'alice',
    roles: ['admin', 'reports:read'],
    name: 'CI pipeline',
    secretHash: 'a'.repeat(64),
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  };
}

/** The semantics every ApiKeyStore shares (MemoryApiKeyStore is the reference). */
export function describeApiKeyStoreContract(name: string, make: () => Promise<ApiKeyStoreUnderTest>): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    let handle: ApiKeyStoreUnderTest;
    let store: ApiKeyStore;
    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });
    afterEach(() => handle.close());

    it('stores a key and reads it back equal (roles, no name); refuses the same id twice', async () => {
      const record = apiKeyRecord();
      await store.create(record);
      expect(await store.get(record.id)).toEqual(record);
      const unnamed = apiKeyRecord({ name: null, roles: [] });
      await store.create(unnamed);
      expect(await store.get(unnamed.id)).toEqual(unnamed);
      expect(await store.get(randomUUID())).toBeNull();
      await expect(store.create({ ...record, owner: 'bob' })).rejects.toBeDefined();
      expect((await store.get(record.id))?.owner).toBe('alice');
    });

    it('lists every key, revoked ones too, oldest first', async () => {
      const second = apiKeyRecord({ createdAt: T0 + 2 });
      const first = apiKeyRecord({ createdAt: T0 + 1, owner: 'bob' });
      await store.create(second);
      await store.create(first);
      await store.revoke(first.id, T0 + 5);
      expect(await store.list()).toEqual([{ ...first, revokedAt: T0 + 5 }, second]);
    });

    it('revokes once: the first time is kept, an unknown key is no revocation', async () => {
      const record = apiKeyRecord();
      await store.create(record);
      expect(await store.revoke(record.id, T0 + 10)).toBe(true);
      expect(await store.revoke(record.id, T0 + 20)).toBe(false);
      expect((await store.get(record.id))?.revokedAt).toBe(T0 + 10);
      expect(await store.revoke(randomUUID(), T0)).toBe(false);
    });
  });
}
