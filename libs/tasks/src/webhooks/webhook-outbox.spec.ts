import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { createStepwiseDataSource } from '../adapters/typeorm/data-source';
import { TypeOrmWebhookOutbox } from '../adapters/typeorm/typeorm-webhook-outbox';
import { describeWebhookOutboxContract, newDelivery } from '../adapters/testing/webhook-outbox-contract';

describeWebhookOutboxContract('MemoryWebhookOutbox', async () => ({
  outbox: new MemoryWebhookOutbox(),
  close: async () => undefined,
}));

// Two DataSources on one file: two processes, each with its own connection (and gate).
describeWebhookOutboxContract('TypeOrmWebhookOutbox on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-outbox-'));
  const path = join(dir, 'stepwise.sqlite');
  const first = await createStepwiseDataSource({ sqlitePath: path }).initialize();
  const second = await createStepwiseDataSource({ sqlitePath: path }).initialize();
  return {
    outbox: new TypeOrmWebhookOutbox(first),
    other: new TypeOrmWebhookOutbox(second),
    close: async () => {
      await first.destroy();
      await second.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('TypeOrmWebhookOutbox on SQLite: beyond the contract', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepwise-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps deliveries across a reopen of the file', async () => {
    const path = join(dir, 'stepwise.sqlite');
    const delivery = newDelivery();
    const before = await createStepwiseDataSource({ sqlitePath: path }).initialize();
    await new TypeOrmWebhookOutbox(before).enqueue(delivery);
    await before.destroy();
    const after = await createStepwiseDataSource({ sqlitePath: path }).initialize();
    try {
      const [claimed] = await new TypeOrmWebhookOutbox(after).claimDue(delivery.nextAttemptAt, 'w', 1000, 5);
      expect(claimed).toMatchObject({ id: delivery.id, payload: delivery.payload, status: 'pending' });
    } finally {
      await after.destroy();
    }
  });

  it('reverts and re-applies its migration', async () => {
    const dataSource = await createStepwiseDataSource({ sqlitePath: join(dir, 'stepwise.sqlite') }).initialize();
    try {
      const tables = () =>
        dataSource.query(`SELECT name FROM sqlite_master WHERE name = 'stepwise_webhook_deliveries'`);
      expect(await tables()).toHaveLength(1);
      // Undo the newest migrations one by one: the table goes with its own migration, not before.
      const newest = async () =>
        (
          (await dataSource.query('SELECT name FROM stepwise_migrations ORDER BY id DESC LIMIT 1')) as {
            name: string;
          }[]
        )[0]?.name;
      let undone: string | undefined;
      while ((await tables()).length > 0) {
        undone = await newest();
        await dataSource.undoLastMigration();
      }
      expect(undone).toBe('WebhookDeliveries1700000000001');
      await dataSource.runMigrations();
      expect(await tables()).toHaveLength(1);
    } finally {
      await dataSource.destroy();
    }
  });
});
