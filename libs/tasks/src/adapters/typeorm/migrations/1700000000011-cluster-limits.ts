import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cluster-wide limits of task types, checked at claim:
 * - `held_reason`, `held_since` on `stepwise_tasks`: why a due task was held
 *   back, and since when (shown in `GET /tasks/{id}`);
 * - a partial index over the leased tasks, by type and owner: what the
 *   concurrency limits count (a handful of rows, whatever the backlog);
 * - a partial index over the held tasks, oldest first: what a freed slot wakes;
 * - `stepwise_type_claims`: the recent claims of rate-limited types (a row per
 *   claim, pruned past the window), what the rate limits count;
 * and the owners' quotas: `stepwise_upload_reservations`, the uploads in
 * progress (`openUploads`), and an index of the finished uploads by owner
 * (`storedBytes`).
 * Plain SQL that both databases accept as written.
 */
export class ClusterLimits1700000000011 implements MigrationInterface {
  name = 'ClusterLimits1700000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "held_reason" varchar NULL');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "held_since" bigint NULL');
    await queryRunner.query(
      'CREATE INDEX "IDX_stepwise_tasks_leased" ON "stepwise_tasks" ("type", "owner") WHERE lease_owner IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stepwise_tasks_held" ON "stepwise_tasks" ("type", "held_since") WHERE held_reason IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "stepwise_type_claims" ("type" varchar NOT NULL, "claimed_at" bigint NOT NULL)',
    );
    await queryRunner.query('CREATE INDEX "IDX_stepwise_type_claims" ON "stepwise_type_claims" ("type", "claimed_at")');
    await queryRunner.query(
      'CREATE TABLE "stepwise_upload_reservations" ("id" varchar PRIMARY KEY NOT NULL, "owner" varchar NOT NULL,' +
        ' "size" bigint NOT NULL, "created_at" bigint NOT NULL, "expires_at" bigint NOT NULL)',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_stepwise_upload_reservations_owner" ON "stepwise_upload_reservations" ("owner", "expires_at")',
    );
    await queryRunner.query('CREATE INDEX "IDX_stepwise_uploads_owner" ON "stepwise_uploads" ("owner")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "IDX_stepwise_uploads_owner"');
    await queryRunner.query('DROP TABLE "stepwise_upload_reservations"');
    await queryRunner.query('DROP TABLE "stepwise_type_claims"');
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_held"');
    await queryRunner.query('DROP INDEX "IDX_stepwise_tasks_leased"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "held_since"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "held_reason"');
  }
}
