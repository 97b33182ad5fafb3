import type { UploadRecord, UploadStore } from '../../ports';

export interface UploadStoreUnderTest {
  store: UploadStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;

export function uploadRecord(overrides: Partial<UploadRecord> = {}): UploadRecord {
  const id = overrides.id ?? `u-${Math.random().toString(36).slice(2)}`;
  return {
    id,
    owner: 'alice',
    name: 'résumé.pdf',
    contentType: 'application/pdf',
    size: 5_000_000_000, // beyond 32 bits: a bigint column
    sha256: 'a'.repeat(64),
    contentKey: `uploads/${id}`,
    createdAt: T0,
    expiresAt: T0 + 86_400_000,
    ...overrides,
  };
}

/** The semantics every UploadStore shares (MemoryUploadStore is the reference). */
export function describeUploadStoreContract(name: string, make: () => Promise<UploadStoreUnderTest>): void {
  describe(`UploadStore contract: ${name}`, () => {
    let handle: UploadStoreUnderTest;
    let store: UploadStore;
    beforeEach(async () => {
      handle = await make();
      store = handle.store;
    });
    afterEach(() => handle.close());

    it('stores a record and reads it back equal; refuses the same id twice', async () => {
      const record = uploadRecord();
      await store.create(record);
      expect(await store.get(record.id)).toEqual(record);
      expect(await store.get('nope')).toBeNull();
      await expect(store.create({ ...record, owner: 'bob' })).rejects.toThrow();
      expect((await store.get(record.id))?.owner).toBe('alice');
    });

    it('finds a shareable upload by content hash, never one about to expire', async () => {
      const soon = uploadRecord({ sha256: 'b'.repeat(64), expiresAt: T0 + 1000 });
      const later = uploadRecord({ sha256: 'b'.repeat(64), expiresAt: T0 + 5000 });
      await store.create(soon);
      await store.create(later);
      await store.create(uploadRecord({ sha256: 'c'.repeat(64) }));
      expect((await store.findBySha256('b'.repeat(64), T0))?.id).toBe(later.id);
      expect((await store.findBySha256('b'.repeat(64), T0 + 2000))?.id).toBe(later.id);
      expect(await store.findBySha256('b'.repeat(64), T0 + 5000)).toBeNull();
      expect(await store.findBySha256('d'.repeat(64), T0)).toBeNull();
    });

    it("counts an owner's uploads in progress until released or expired, and sums its finished ones", async () => {
      const open = (id: string, owner = 'alice', expiresAt = T0 + 1000) =>
        store.reserve!({ id, owner, size: 5_000_000_000, createdAt: T0, expiresAt });
      await open('a1');
      await open('a2', 'alice', T0 + 10);
      await open('b1', 'bob');
      expect(await store.countOpen!('alice', T0)).toBe(2);
      expect(await store.countOpen!('alice', T0 + 10)).toBe(1); // a2 expired
      expect(await store.countOpen!('bob', T0)).toBe(1);
      await store.release!('a1');
      await store.release!('unknown');
      expect(await store.countOpen!('alice', T0)).toBe(1);
      expect(await store.releaseExpired!(T0 + 10, 100)).toBe(1);
      expect(await store.countOpen!('alice', T0)).toBe(0);

      await store.create(uploadRecord({ size: 5_000_000_000 }));
      await store.create(uploadRecord({ size: 3 }));
      await store.create(uploadRecord({ owner: 'bob', size: 9 }));
      expect(await store.finishedBytes!('alice')).toBe(5_000_000_003);
      expect(await store.finishedBytes!('bob')).toBe(9);
      expect(await store.finishedBytes!('nobody')).toBe(0);
    });

    it("records an upload in progress only within the owner's max, expired ones not counted", async () => {
      const open = (id: string, owner = 'alice', createdAt = T0, expiresAt = T0 + 1000) =>
        store.reserveWithin!({ id, owner, size: 4, createdAt, expiresAt }, 2);
      expect(await open('a1')).toBeNull();
      expect(await open('a2', 'alice', T0, T0 + 10)).toBeNull();
      expect(await open('a3')).toBe(2);
      expect(await store.countOpen!('alice', T0)).toBe(2);
      expect(await open('b1', 'bob')).toBeNull();
      // a2 has expired by then: a place again.
      expect(await open('a4', 'alice', T0 + 10)).toBeNull();
      expect(await open('a5', 'alice', T0 + 10)).toBe(2);
      await store.release!('a1');
      expect(await open('a6', 'alice', T0 + 10)).toBeNull();
    });

    it('counts references to shared content on delete', async () => {
      const first = uploadRecord();
      const second = uploadRecord({ contentKey: first.contentKey });
      await store.create(first);
      await store.create(second);
      expect(await store.delete(first.id)).toEqual({ contentKey: first.contentKey, contentUnused: false });
      expect(await store.get(first.id)).toBeNull();
      expect(await store.delete(second.id)).toEqual({ contentKey: first.contentKey, contentUnused: true });
      expect(await store.delete(second.id)).toBeNull();
    });

    it('repoints a record at other content', async () => {
      const record = uploadRecord({ contentKey: 'uploads/shared' });
      await store.create(record);
      await store.setContentKey(record.id, `uploads/${record.id}`);
      expect((await store.get(record.id))?.contentKey).toBe(`uploads/${record.id}`);
    });

    it('lists expired records, oldest first, up to a limit', async () => {
      const a = uploadRecord({ expiresAt: T0 + 10 });
      const b = uploadRecord({ expiresAt: T0 + 5 });
      const c = uploadRecord({ expiresAt: T0 + 100 });
      for (const r of [a, b, c]) await store.create(r);
      expect((await store.findExpired(T0 + 10, 10)).map((r) => r.id)).toEqual([b.id, a.id]);
      expect(await store.findExpired(T0 + 10, 1)).toHaveLength(1);
      expect(await store.findExpired(T0, 10)).toEqual([]);
    });
  });
}
