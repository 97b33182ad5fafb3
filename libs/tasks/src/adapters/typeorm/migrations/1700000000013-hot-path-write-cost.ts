import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Less index work per task on PostgreSQL, where every row a task writes
 * costs its heap tuple plus one entry in each index (measured in WAL bytes
 * and row writes per task by the engine benchmark):
 *
 * - The event log's primary key becomes (task_id, id), the only order it is
 *   ever read in (a task's events after a seq), and the separate
 *   (task_id, id) index goes: each event is one index entry, not two. `id`
 *   stays the log's global sequence (an event's `seq`).
 * - The steps' foreign key to their task goes: its check locked the task's
 *   row (a WAL record) for every step inserted, while the only statements
 *   that insert steps insert their task in the same statement, and a delete
 *   removes a task's steps itself (as it does its events, which never had one).
 * - The steps' pages are filled to 70 %: a step is updated in place twice
 *   after its insert (running, then its outcome) and none of those columns is
 *   indexed, so with room on the page the update is HOT (no index entry).
 *
 * SQLite keeps its schema (one process's database: not where this costs).
 */
export class HotPathWriteCost1700000000013 implements MigrationInterface {
  name = 'HotPathWriteCost1700000000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!isPostgres(queryRunner)) return;
    const foreignKeys = await constraints(queryRunner, 'stepwise_task_steps', 'f');
    for (const name of foreignKeys)
      await queryRunner.query(`ALTER TABLE "stepwise_task_steps" DROP CONSTRAINT "${name}"`);
    await queryRunner.query('ALTER TABLE "stepwise_task_steps" SET (fillfactor = 70)');
    const [primary] = await constraints(queryRunner, 'stepwise_task_events', 'p');
    await queryRunner.query(`ALTER TABLE "stepwise_task_events" DROP CONSTRAINT "${primary}"`);
    await queryRunner.query(
      'ALTER TABLE "stepwise_task_events" ADD CONSTRAINT "PK_stepwise_task_events" PRIMARY KEY ("task_id", "id")',
    );
    await queryRunner.query('DROP INDEX "IDX_stepwise_events_task"');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (!isPostgres(queryRunner)) return;
    await queryRunner.query('CREATE INDEX "IDX_stepwise_events_task" ON "stepwise_task_events" ("task_id", "id")');
    await queryRunner.query('ALTER TABLE "stepwise_task_events" DROP CONSTRAINT "PK_stepwise_task_events"');
    await queryRunner.query('ALTER TABLE "stepwise_task_events" ADD PRIMARY KEY ("id")');
    await queryRunner.query('ALTER TABLE "stepwise_task_steps" RESET (fillfactor)');
    await queryRunner.query(
      'ALTER TABLE "stepwise_task_steps" ADD CONSTRAINT "FK_stepwise_task_steps_task" FOREIGN KEY ("task_id")' +
        ' REFERENCES "stepwise_tasks" ("id") ON DELETE CASCADE',
    );
  }
}

function isPostgres(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'postgres';
}

/** Names of a table's constraints of one kind (`p` primary key, `f` foreign key). */
async function constraints(queryRunner: QueryRunner, table: string, kind: 'p' | 'f'): Promise<string[]> {
  const rows = (await queryRunner.query(
    'SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = $2 ORDER BY conname',
    [table, kind],
  )) as Array<{ conname: string }>;
  return rows.map((r) => r.conname);
}
