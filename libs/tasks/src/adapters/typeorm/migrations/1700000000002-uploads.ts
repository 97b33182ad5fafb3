import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Column shapes spelled out, as in the initial migration: this describes the schema of its day.
const str = (name: string): TableColumnOptions => ({ name, type: 'varchar', isNullable: false });
const text = (name: string): TableColumnOptions => ({ name, type: 'text', isNullable: false });
const big = (name: string): TableColumnOptions => ({ name, type: 'bigint', isNullable: false });

/** The registry of finished resumable uploads (tus), with their content hash for dedup. */
export class Uploads1700000000002 implements MigrationInterface {
  name = 'Uploads1700000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_uploads',
        columns: [
          { ...str('id'), isPrimary: true },
          str('owner'),
          text('name'),
          str('content_type'),
          big('size'),
          str('sha256'),
          text('content_key'),
          big('created_at'),
          big('expires_at'),
        ],
      }),
    );
    // Dedup looks uploads up by content hash.
    await queryRunner.createIndex(
      'stepwise_uploads',
      new TableIndex({ name: 'IDX_stepwise_uploads_sha256', columnNames: ['sha256'] }),
    );
    // Reference counting of shared content on delete.
    await queryRunner.createIndex(
      'stepwise_uploads',
      new TableIndex({ name: 'IDX_stepwise_uploads_content', columnNames: ['content_key'] }),
    );
    // The expiry sweep.
    await queryRunner.createIndex(
      'stepwise_uploads',
      new TableIndex({ name: 'IDX_stepwise_uploads_expiry', columnNames: ['expires_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_uploads');
  }
}
