import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUploadStoreContract } from '../testing/upload-store-contract';
import { createStepwiseDataSource } from './data-source';
import { TypeOrmUploadStore } from './typeorm-upload-store';

describeUploadStoreContract('TypeOrmUploadStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-uploads-'));
  const dataSource = await createStepwiseDataSource({ sqlitePath: join(dir, 'uploads.sqlite') }).initialize();
  return {
    store: new TypeOrmUploadStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
