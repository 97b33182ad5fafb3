import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Column shapes spelled out, as in the initial migration: this describes the schema of its day.
const str = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', isNullable });
const text = (name: string, isNullable = true): TableColumnOptions => ({ name, type: 'text', isNullable });
const int = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });

/** The webhook outbox: one row per delivery, with its lease and its attempt log. */
export class WebhookDeliveries1700000000001 implements MigrationInterface {
  name = 'WebhookDeliveries1700000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_webhook_deliveries',
        columns: [
          { ...str('id'), isPrimary: true },
          str('task_id'),
          str('event'),
          text('url', false),
          str('target'),
          text('payload', false),
          str('status'),
          int('attempts'),
          int('max_attempts'),
          int('last_status_code', true),
          text('last_error'),
          time('next_attempt_at', true),
          time('delivered_at', true),
          str('lease_owner', true),
          time('lease_expires_at', true),
          { name: 'task_deleted', type: 'boolean', default: 'false' },
          text('history'),
          time('created_at'),
          time('updated_at'),
        ],
      }),
    );
    // The dispatcher's claim: pending deliveries by due time.
    await queryRunner.createIndex(
      'stepwise_webhook_deliveries',
      new TableIndex({ name: 'IDX_stepwise_webhooks_due', columnNames: ['status', 'next_attempt_at'] }),
    );
    // GET /tasks/{id}/webhooks and the delete of a task.
    await queryRunner.createIndex(
      'stepwise_webhook_deliveries',
      new TableIndex({ name: 'IDX_stepwise_webhooks_task', columnNames: ['task_id', 'created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_webhook_deliveries');
  }
}
