import type { MigrationInterface, QueryRunner } from 'typeorm';

// One partial index per scan of the sweeper's findDue (task-queries.ts). Each
// holds only the rows its scan can return, in the scan's keyset order. The
// predicates are spelled as the queries spell them, literals and all: a
// planner (PostgreSQL's and SQLite's alike) takes a partial index only when
// it can see that the query's WHERE implies the index's. Plain SQL: both
// databases accept these statements as written.
const TERMINAL = "'completed', 'failed', 'cancelled'";

const DUE_INDEXES: Array<[name: string, columns: string, where: string]> = [
  // Expired leases: only running and compensating tasks hold a lease that can expire on a worker.
  ['IDX_stepwise_tasks_due_expired', '"lease_expires_at", "id"', "status IN ('running', 'compensating')"],
  // Cancels not acted on yet: a handful of rows at any time, instead of a scan of the table.
  ['IDX_stepwise_tasks_due_cancels', '"id"', `cancel_requested = TRUE AND status NOT IN (${TERMINAL})`],
  // Overdue pending tasks, in the order of the sweeper's cursor.
  ['IDX_stepwise_tasks_due_overdue', '"run_at", "id"', "status = 'pending'"],
];

// The initial migration's indexes for the one query with three OR'ed reasons, which these replace.
const REPLACED: Array<[name: string, columns: string]> = [
  ['IDX_stepwise_tasks_due_pending', '"status", "run_at"'],
  ['IDX_stepwise_tasks_due_lease', '"status", "lease_expires_at"'],
];

/** Partial indexes for the sweeper's three scans (expired leases, cancels, overdue pending tasks). */
export class DueIndexes1700000000003 implements MigrationInterface {
  name = 'DueIndexes1700000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, columns, where] of DUE_INDEXES) {
      await queryRunner.query(`CREATE INDEX "${name}" ON "stepwise_tasks" (${columns}) WHERE ${where}`);
    }
    for (const [name] of REPLACED) await queryRunner.query(`DROP INDEX "${name}"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name, columns] of REPLACED) {
      await queryRunner.query(`CREATE INDEX "${name}" ON "stepwise_tasks" (${columns})`);
    }
    for (const [name] of DUE_INDEXES) await queryRunner.query(`DROP INDEX "${name}"`);
  }
}
