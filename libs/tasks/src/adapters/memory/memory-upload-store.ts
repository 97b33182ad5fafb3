import type { UploadRecord, UploadRemoval, UploadReservation, UploadStore } from '../../ports';

/** Upload registry in memory: tests, and a host that brings its own task store. */
export class MemoryUploadStore implements UploadStore {
  private readonly records = new Map<string, UploadRecord>();
  private readonly reservations = new Map<string, UploadReservation>();

  async create(record: UploadRecord): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`upload ${record.id} is already recorded`);
    this.records.set(record.id, { ...record });
  }

  async get(id: string): Promise<UploadRecord | null> {
    const record = this.records.get(id);
    return record ? { ...record } : null;
  }

  async findBySha256(sha256: string, notExpiringBefore: number): Promise<UploadRecord | null> {
    // The one that lives longest: the content it holds is safest to share.
    const [best] = [...this.records.values()]
      .filter((r) => r.sha256 === sha256 && r.expiresAt > notExpiringBefore)
      .sort((a, b) => b.expiresAt - a.expiresAt);
    return best ? { ...best } : null;
  }

  async setContentKey(id: string, contentKey: string): Promise<void> {
    const record = this.records.get(id);
    if (record) record.contentKey = contentKey;
  }

  async delete(id: string): Promise<UploadRemoval | null> {
    const record = this.records.get(id);
    if (!record) return null;
    this.records.delete(id);
    const shared = [...this.records.values()].some((r) => r.contentKey === record.contentKey);
    return { contentKey: record.contentKey, contentUnused: !shared };
  }

  async findExpired(now: number, limit: number): Promise<UploadRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async reserve(reservation: UploadReservation): Promise<void> {
    this.reservations.set(reservation.id, { ...reservation });
  }

  async reserveWithin(reservation: UploadReservation, max: number): Promise<number | null> {
    // Counted and recorded without an await in between: one step.
    const open = this.openOf(reservation.owner, reservation.createdAt);
    if (open >= max) return open;
    this.reservations.set(reservation.id, { ...reservation });
    return null;
  }

  async release(id: string): Promise<void> {
    this.reservations.delete(id);
  }

  async releaseExpired(now: number, limit: number): Promise<number> {
    const expired = [...this.reservations.values()].filter((r) => r.expiresAt <= now).slice(0, limit);
    for (const r of expired) this.reservations.delete(r.id);
    return expired.length;
  }

  async countOpen(owner: string, now: number): Promise<number> {
    return this.openOf(owner, now);
  }

  private openOf(owner: string, now: number): number {
    return [...this.reservations.values()].filter((r) => r.owner === owner && r.expiresAt > now).length;
  }

  async finishedBytes(owner: string): Promise<number> {
    return [...this.records.values()].filter((r) => r.owner === owner).reduce((sum, r) => sum + r.size, 0);
  }
}
