import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Column shapes spelled out, as in the initial migration: this describes the schema of its day.
const str = (name: string): TableColumnOptions => ({ name, type: 'varchar', isNullable: false });
const big = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });
const flag = (name: string): TableColumnOptions => ({ name, type: 'boolean', default: 'false' });

/**
 * `stepwise_schedules`: cron schedules, one row each, unique by name. Which
 * slot has its task is not kept here: the task of a slot carries the
 * idempotency key `schedule:<name>:<slot>`, unique per owner in
 * `stepwise_tasks`; `last_slot_at` is how far the schedule got, only ever
 * moved forward.
 */
export class Schedules1700000000007 implements MigrationInterface {
  name = 'Schedules1700000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_schedules',
        columns: [
          { ...str('name'), isPrimary: true },
          str('type'),
          str('cron'),
          str('timezone'),
          { name: 'input', type: 'text', isNullable: true },
          str('owner'),
          str('missed'),
          flag('paused'),
          flag('declared'),
          big('last_slot_at', true),
          big('active_from'),
          big('created_at'),
          big('updated_at'),
        ],
      }),
    );
    // GET /schedules: one owner's.
    await queryRunner.createIndex(
      'stepwise_schedules',
      new TableIndex({ name: 'IDX_stepwise_schedules_owner', columnNames: ['owner', 'name'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_schedules');
  }
}
