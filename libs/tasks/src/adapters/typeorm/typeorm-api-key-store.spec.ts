import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeApiKeyStoreContract } from '../testing/api-key-store-contract';
import { createStepwiseDataSource } from './data-source';
import { TypeOrmApiKeyStore } from './typeorm-api-key-store';

describeApiKeyStoreContract('TypeOrmApiKeyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-api-keys-'));
  const dataSource = await createStepwiseDataSource({ sqlitePath: join(dir, 'keys.sqlite') }).initialize();
  return {
    store: new TypeOrmApiKeyStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
