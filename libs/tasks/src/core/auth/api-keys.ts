import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';
import type { ApiKeyRecord, ApiKeyStore, Clock } from '../../ports';
import { MAX_OWNER_LENGTH } from '../owner-resolver';

/** Every Stepwise API key starts so: easy to recognise in a leak scan. */
export const API_KEY_PREFIX = 'swk_';

/** `swk_<id: 32 hex>_<secret: 32 random bytes, base64url>`. */
const KEY_FORMAT = /^swk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
/** A role name: letters, digits and `.:_-`, at most 64. */
const ROLE = /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,63}$/;
const MAX_NAME_LENGTH = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a new key is for. */
export interface NewApiKey {
  /** The owner every call with the key acts as. */
  owner: string;
  /** Its roles (`admin` sees every owner's tasks). Default none. */
  roles?: readonly string[];
  /** What it is for, e.g. `CI pipeline`. */
  name?: string;
}

/** An API key as shown to an operator: never its hash. */
export interface ApiKeyView {
  id: string;
  owner: string;
  roles: string[];
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** A key just created: `key` is shown this once and stored nowhere. */
export interface CreatedApiKey {
  key: string;
  apiKey: ApiKeyView;
}

/**
 * Creates, lists, revokes and verifies API keys. A key is 32 random bytes
 * with its record's id in front; only its SHA-256 is stored (a key that
 * random needs no slow hash: nothing can be guessed from its hash), and a
 * presented key is found by its id, then its hash compared in constant time.
 */
export class ApiKeys {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly clock: Clock,
  ) {}

  /** @throws BadRequestException naming what is wrong with `input`. */
  async create(input: NewApiKey): Promise<CreatedApiKey> {
    const owner = typeof input.owner === 'string' ? input.owner.trim() : '';
    if (!owner || owner.length > MAX_OWNER_LENGTH) {
      throw new BadRequestException(`owner must be 1 to ${MAX_OWNER_LENGTH} characters`);
    }
    const roles = [...new Set(input.roles ?? [])];
    const badRole = roles.find((role) => typeof role !== 'string' || !ROLE.test(role));
    if (badRole !== undefined) {
      throw new BadRequestException(
        `role ${JSON.stringify(badRole)} must be letters, digits, '.', ':', '_' or '-' (at most 64)`,
      );
    }
    const name = input.name?.trim() || null;
    if (name !== null && name.length > MAX_NAME_LENGTH) {
      throw new BadRequestException(`name must be at most ${MAX_NAME_LENGTH} characters`);
    }
    const id = randomUUID();
    const key = `${API_KEY_PREFIX}${id.replace(/-/g, '')}_${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id,
      owner,
      roles,
      name,
      secretHash: sha256(key).toString('hex'),
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.store.create(record);
    return { key, apiKey: toView(record) };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.store.list()).map(toView);
  }

  /** False when there is no such key (or `id` is no key id) or it was revoked already. */
  async revoke(id: string): Promise<boolean> {
    const normalized = id.trim().toLowerCase();
    return UUID.test(normalized) && this.store.revoke(normalized, this.clock.now());
  }

  /** The record of a valid, unrevoked key; null for anything else. */
  async verify(presented: string): Promise<ApiKeyRecord | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const hex = match[1];
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const record = await this.store.get(id);
    if (!record || record.revokedAt !== null) return null;
    const stored = Buffer.from(record.secretHash, 'hex');
    const given = sha256(presented);
    return stored.length === given.length && timingSafeEqual(stored, given) ? record : null;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function toView(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    owner: record.owner,
    roles: [...record.roles],
    name: record.name,
    createdAt: new Date(record.createdAt).toISOString(),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
  };
}
