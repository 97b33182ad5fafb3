import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stepwise_task_events.actor`: who asked for the change an event records
 * (the audit trail); NULL for what the engine does on its own.
 * `stepwise_tasks.traceparent` and `tracestate`: the W3C trace context of the
 * submit, written by the create statement, so that every step attempt joins
 * the submit's trace in whatever process, and after whatever crash, it runs.
 * NULL when no tracing SDK is registered. Plain SQL both databases accept.
 */
export class AuditActorAndTraceContext1700000000012 implements MigrationInterface {
  name = 'AuditActorAndTraceContext1700000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_task_events" ADD COLUMN "actor" varchar NULL');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "traceparent" varchar NULL');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" ADD COLUMN "tracestate" varchar NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "tracestate"');
    await queryRunner.query('ALTER TABLE "stepwise_tasks" DROP COLUMN "traceparent"');
    await queryRunner.query('ALTER TABLE "stepwise_task_events" DROP COLUMN "actor"');
  }
}
