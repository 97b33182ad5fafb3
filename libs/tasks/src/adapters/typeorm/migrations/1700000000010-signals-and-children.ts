import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Column shapes spelled out, as in the initial migration: this describes the schema of its day.
const str = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', isNullable });

/**
 * Composition: a step that waits (`waiting_for`: `signal:<name>` or
 * `children`), the task that spawned a task (`parent_id`), and the signals
 * sent to tasks (`stepwise_task_signals`: kept until a step takes them, so a
 * signal sent before its step waits is not lost). The sweeper's scan of
 * waits past their deadline has its partial index, spelled as the query
 * spells it (see the due indexes); the children of a task are found by
 * `parent_id`. Both databases accept these statements as written.
 */
export class SignalsAndChildren1700000000010 implements MigrationInterface {
  name = 'SignalsAndChildren1700000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    const isPostgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "waiting_for" varchar NULL');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "parent_id" varchar NULL');
    await queryRunner.query(
      `CREATE INDEX "IDX_stepwise_tasks_due_waiting" ON "stepwise_tasks" ("run_at", "id") WHERE status = 'waiting'`,
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stepwise_tasks_parent" ON "stepwise_tasks" ("parent_id", "status") WHERE parent_id IS NOT NULL',
    );
    await queryRunner.createTable(
      new Table({
        name: 'stepwise_task_signals',
        columns: [
          {
            name: 'id',
            type: isPostgres ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          str('task_id'),
          str('name'),
          { name: 'payload', type: 'text', isNullable: true },
          // The step that took it; NULL until one does.
          str('step', true),
          { name: 'received_at', type: 'bigint', isNullable: false },
        ],
      }),
    );
    await queryRunner.createIndex(
      'stepwise_task_signals',
      new TableIndex({ name: 'IDX_stepwise_signals_task', columnNames: ['task_id', 'name', 'id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('stepwise_task_signals');
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_parent"');
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_due_waiting"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "parent_id"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "waiting_for"');
  }
}
