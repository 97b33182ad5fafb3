import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Column shapes spelled out, as in the initial migration: this describes the schema of its day.
const str = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', isNullable });
const text = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: false });
const big = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });

/**
 * `stepwise_api_keys`: the API keys of `TASKS_AUTH=apikey`, each bound to an
 * owner and roles, stored as the SHA-256 of the key (the key itself is shown
 * once). Looked up by primary key only: the key carries its id.
 */
export class ApiKeys1700000000008 implements MigrationInterface {
  name = 'ApiKeys1700000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_api_keys',
        columns: [
          { ...str('id'), isPrimary: true },
          str('owner'),
          // JSON array of role names.
          text('roles'),
          str('name', true),
          str('secret_hash'),
          big('created_at'),
          big('revoked_at', true),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_api_keys');
  }
}
