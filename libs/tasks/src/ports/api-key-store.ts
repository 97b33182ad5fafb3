/**
 * An API key as stored: never the key itself, only its SHA-256. The key is
 * shown once, when it is created.
 */
export interface ApiKeyRecord {
  /** A UUID; the key carries it, so that a presented key is looked up by id and its hash compared. */
  id: string;
  /** The owner every call made with the key acts as. */
  owner: string;
  /** Roles of that caller (`admin` sees every owner's tasks). */
  roles: string[];
  /** What the key is for, as its creator named it. */
  name: string | null;
  /** Hex SHA-256 of the whole key. */
  secretHash: string;
  createdAt: number;
  /** Set when revoked: the key is refused from then on. */
  revokedAt: number | null;
}

/** Where API keys are kept: the database of the tasks, or memory. */
export interface ApiKeyStore {
  /** Stores a new key; refuses an id already taken. */
  create(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every key, revoked ones too, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at `at`; false when there is no such key or it was revoked already. */
  revoke(id: string, at: number): Promise<boolean>;
}
