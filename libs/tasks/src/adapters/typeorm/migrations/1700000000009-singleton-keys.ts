import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Spelled as in the due indexes: the terminal statuses, which free a singleton key. */
const TERMINAL = "'completed', 'failed', 'cancelled'";

/**
 * `stepwise_tasks.singleton_key`: at most one unfinished task per type and
 * key, kept by the database (a partial unique index over the unfinished
 * rows), not by a lock: of two concurrent submits one inserts and the other
 * inserts nothing and answers with the first. A task that ends leaves the
 * index, and the key is free again. Plain SQL that both databases accept as
 * written.
 */
export class SingletonKeys1700000000009 implements MigrationInterface {
  name = 'SingletonKeys1700000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "singleton_key" varchar NULL');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "IDX_stepwise_tasks_singleton" ON "stepwise_tasks" ("type", "singleton_key")' +
        ` WHERE singleton_key IS NOT NULL AND status NOT IN (${TERMINAL})`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_singleton"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "singleton_key"');
  }
}
