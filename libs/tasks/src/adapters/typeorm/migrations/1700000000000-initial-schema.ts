import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
  type TableIndexOptions,
} from 'typeorm';

// Column shapes are spelled out here rather than taken from the entities: a
// migration must keep describing the schema of its day when entities move on.
const str = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', isNullable });
const text = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: true });
const int = (name: string): TableColumnOptions => ({ name, type: 'integer' });
const fraction = (name: string): TableColumnOptions => ({ name, type: 'double precision' });
const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });
const flag = (name: string): TableColumnOptions => ({ name, type: 'boolean', default: 'false' });

const index = (table: string, name: string, columnNames: string[], extra: Partial<TableIndexOptions> = {}) =>
  [table, new TableIndex({ name: `IDX_stepwise_${name}`, columnNames, ...extra })] as const;

/**
 * The whole Stepwise schema, written with the QueryRunner API so the same
 * migration runs on SQLite and PostgreSQL.
 */
export class InitialSchema1700000000000 implements MigrationInterface {
  name = 'InitialSchema1700000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_tasks',
        columns: [
          { ...str('id'), isPrimary: true },
          str('type'),
          str('queue'),
          str('owner'),
          str('status'),
          str('placement'),
          int('priority'),
          text('input'),
          text('output'),
          text('result_file'),
          fraction('progress'),
          text('message'),
          text('error'),
          str('idempotency_key', true),
          text('callback_url'),
          flag('cancel_requested'),
          flag('pause_requested'),
          int('version'),
          str('lease_owner', true),
          time('lease_expires_at', true),
          time('run_at'),
          time('deadline_at', true),
          time('created_at'),
          time('updated_at'),
          time('started_at', true),
          time('finished_at', true),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_task_steps',
        columns: [
          { ...str('task_id'), isPrimary: true },
          { ...str('name'), isPrimary: true },
          int('step_order'),
          str('placement'),
          str('status'),
          int('attempts'),
          fraction('progress'),
          text('output'),
          text('error'),
          time('started_at', true),
          time('finished_at', true),
        ],
        foreignKeys: [
          {
            columnNames: ['task_id'],
            referencedTableName: 'stepwise_tasks',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    // SQLite only auto-increments an `INTEGER PRIMARY KEY` (already 64-bit there).
    const isPostgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_task_events',
        columns: [
          {
            name: 'id',
            type: isPostgres ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          str('task_id'),
          str('owner'),
          str('type'),
          str('task_type'),
          str('status'),
          fraction('progress'),
          str('step', true),
          str('step_status', true),
          text('message'),
          time('at'),
        ],
      }),
    );
    const indexes = [
      // The sweeper's findDue: pending tasks by run_at, leased tasks by expiry.
      index('stepwise_tasks', 'tasks_due_pending', ['status', 'run_at']),
      index('stepwise_tasks', 'tasks_due_lease', ['status', 'lease_expires_at']),
      // GET /tasks: keyset pages newest first, filtered by type or status.
      index('stepwise_tasks', 'tasks_list', ['owner', 'created_at', 'id']),
      index('stepwise_tasks', 'tasks_owner_type', ['owner', 'type']),
      index('stepwise_tasks', 'tasks_owner_status', ['owner', 'status']),
      // Idempotency-Key: partial, since most tasks have none (NULLs never clash anyway).
      index('stepwise_tasks', 'tasks_idempotency', ['owner', 'idempotency_key'], {
        isUnique: true,
        where: 'idempotency_key IS NOT NULL',
      }),
      // Retention: finished tasks of one type, oldest first.
      index('stepwise_tasks', 'tasks_retention', ['type', 'status', 'finished_at']),
      index('stepwise_task_events', 'events_task', ['task_id', 'id']),
    ];
    for (const [table, tableIndex] of indexes) await queryRunner.createIndex(table, tableIndex);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_task_events');
    await queryRunner.dropTable('stepwise_task_steps');
    await queryRunner.dropTable('stepwise_tasks');
  }
}
