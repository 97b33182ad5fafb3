import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTaskStore } from '../../adapters/memory';
import { createStepwiseDataSource, TypeOrmTaskStore } from '../../adapters/typeorm';
import type { TaskStore } from '../../ports';

export interface OpenStore {
  store: TaskStore;
  close(): Promise<void>;
}

/**
 * The stores an engine spec runs on without services: memory, and SQLite in
 * a fresh file (PostgreSQL runs in the distributed suite). For `describe.each`.
 */
export const ENGINE_STORES: Array<[name: string, open: () => Promise<OpenStore>]> = [
  ['memory', async () => ({ store: new MemoryTaskStore(), close: async () => undefined })],
  [
    'SQLite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stepwise-engine-'));
      const ds = await createStepwiseDataSource({ sqlitePath: join(dir, 'db.sqlite') }).initialize();
      const close = async () => {
        await ds.destroy();
        rmSync(dir, { recursive: true, force: true });
      };
      return { store: new TypeOrmTaskStore(ds), close };
    },
  ],
];
