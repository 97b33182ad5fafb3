import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stepwise_tasks.request_fingerprint`: the hash of the type and input of a
 * submit that carried an idempotency key, so that the same key with another
 * request is refused (422) instead of replaying the first task. Existing rows
 * keep NULL and replay as before. Plain SQL that both databases accept as
 * written.
 */
export class IdempotencyFingerprint1700000000006 implements MigrationInterface {
  name = 'IdempotencyFingerprint1700000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "request_fingerprint" varchar NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "request_fingerprint"');
  }
}
