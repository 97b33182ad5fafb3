import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stepwise_task_steps.abandoned`: attempts left running past the abort grace
 * (their step may have done its work, so compensation covers it).
 * `stepwise_tasks.delete_requested`: a delete of an unfinished task, carried
 * out once its cancel has compensated; the partial index lets the sweeper
 * finish such deletes a crash interrupted without scanning the table.
 * `stepwise_tasks.timeout_ms`: the task's declared timeout, so that the
 * claim that starts it sets its deadline in the same statement.
 * Plain SQL that both databases accept as written.
 */
export class AbandonedAndDeleteRequests1700000000004 implements MigrationInterface {
  name = 'AbandonedAndDeleteRequests1700000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_task_steps" ADD COLUMN "abandoned" integer NOT NULL DEFAULT 0');
    await queryRunner.query(
      'ALTER TABLE "stepwise_tasks" ADD COLUMN "delete_requested" boolean NOT NULL DEFAULT FALSE',
    );
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "timeout_ms" bigint NULL');
    await queryRunner.query(
      'CREATE INDEX "IDX_stepwise_tasks_delete_requested" ON "stepwise_tasks" ("id") WHERE delete_requested = TRUE',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_delete_requested"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "timeout_ms"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "delete_requested"');
    await queryRunner.query('ALTER TABLE "stepwise_task_steps" DROP COLUMN "abandoned"');
  }
}
