import type { ApiKeyStore } from '../../ports';

/**
 * `auth: { scheme: 'apikey' }` (`TASKS_AUTH=apikey`): callers present an API
 * key, created with `ApiKeys` (the apps' `npm run apikey`), kept hashed in
 * Stepwise's database.
 */
export interface ApiKeyAuthOptions {
  scheme: 'apikey';
  /** Where the keys live. Default: Stepwise's database (SQLite or PostgreSQL); memory when the task store is an override. */
  store?: ApiKeyStore;
}

/** Built-in authentication: one scheme, instead of an `ownerResolver` of your own. */
export type AuthOptions = ApiKeyAuthOptions;
