import { EntitySchema } from 'typeorm';
import type { ApiKeyRecord } from '../../../ports';
import { jsonColumn, stringColumn, timeColumn } from './columns';

/** A row of `stepwise_api_keys`: an API key's owner, roles and hash, never the key. */
export type ApiKeyRow = ApiKeyRecord;

export const ApiKeyEntity = new EntitySchema<ApiKeyRow>({
  name: 'StepwiseApiKey',
  tableName: 'stepwise_api_keys',
  columns: {
    id: { ...stringColumn('id'), primary: true },
    owner: stringColumn('owner'),
    roles: { ...jsonColumn('roles'), nullable: false },
    name: stringColumn('name', true),
    secretHash: stringColumn('secret_hash'),
    createdAt: timeColumn('created_at'),
    revokedAt: timeColumn('revoked_at', true),
  },
});
