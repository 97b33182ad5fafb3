import type { DataSource, EntityManager } from 'typeorm';
import type { ScheduleRecord } from '../../model';
import type { ScheduleQuery, ScheduleStore } from '../../ports';
import { ScheduleEntity } from './entities/schedule.entity';
import { hotPathStatements, type HotPathStatement } from './hot-path-statements';
import { gateFor, type Gate } from './serial-gate';
import { SqlStatement } from './sql-statement';

const COLUMNS =
  'name, type, cron, timezone, input, owner, missed, paused, declared, last_slot_at, active_from, created_at, updated_at';

/** ScheduleStore on TypeORM (SQLite and PostgreSQL), the semantics of `MemoryScheduleStore`. */
export class TypeOrmScheduleStore implements ScheduleStore {
  private readonly gate: Gate;
  private readonly postgres: boolean;
  private readonly statement: HotPathStatement;

  constructor(private readonly dataSource: DataSource) {
    this.gate = gateFor(dataSource);
    this.postgres = dataSource.options.type === 'postgres';
    this.statement = hotPathStatements(dataSource, this.postgres);
  }

  private get em(): EntityManager {
    return this.dataSource.manager;
  }

  create(schedule: ScheduleRecord): Promise<boolean> {
    return this.gate(async () => {
      const sql = new SqlStatement(this.postgres);
      // One statement: of two creates of one name, the second inserts nothing and says so.
      const text = `INSERT INTO stepwise_schedules (${COLUMNS}) VALUES (${this.values(sql, schedule)}) ON CONFLICT (name) DO NOTHING RETURNING name`;
      return (await this.statement({ sql: text, params: sql.params })).length > 0;
    });
  }

  upsert(schedule: ScheduleRecord): Promise<void> {
    return this.gate(async () => {
      const sql = new SqlStatement(this.postgres);
      const text =
        `INSERT INTO stepwise_schedules (${COLUMNS}) VALUES (${this.values(sql, schedule)})` +
        ` ON CONFLICT (name) DO UPDATE SET type = excluded.type, cron = excluded.cron, timezone = excluded.timezone,` +
        ` input = excluded.input, owner = excluded.owner, missed = excluded.missed, declared = excluded.declared,` +
        ` updated_at = excluded.updated_at,` +
        // A new cron or zone starts counting from now: slots of the old one are not made up for.
        ` active_from = CASE WHEN stepwise_schedules.cron <> excluded.cron OR stepwise_schedules.timezone <> excluded.timezone` +
        ` THEN excluded.active_from ELSE stepwise_schedules.active_from END`;
      await this.statement({ sql: text, params: sql.params });
    });
  }

  get(name: string): Promise<ScheduleRecord | null> {
    return this.gate(() => this.em.findOneBy(ScheduleEntity, { name }));
  }

  list(query: ScheduleQuery = {}): Promise<ScheduleRecord[]> {
    return this.gate(() =>
      this.em.find(ScheduleEntity, {
        where: query.owner === undefined ? {} : { owner: query.owner },
        order: { name: 'ASC' },
      }),
    );
  }

  setPaused(name: string, paused: boolean, now: number): Promise<ScheduleRecord | null> {
    return this.gate(async () => {
      const sql = new SqlStatement(this.postgres);
      // A placeholder per use: SQLite's are positional.
      const flag = () => sql.p(paused);
      const at = () => sql.p(now, 'bigint');
      // One statement: the resume's new start is set only when this call moved it out of pause.
      const text =
        `UPDATE stepwise_schedules SET active_from = CASE WHEN paused AND NOT ${flag()} THEN ${at()} ELSE active_from END,` +
        ` updated_at = CASE WHEN paused <> ${flag()} THEN ${at()} ELSE updated_at END, paused = ${flag()}` +
        ` WHERE name = ${sql.p(name)} RETURNING name`;
      const rows = await this.statement({ sql: text, params: sql.params });
      return rows.length === 0 ? null : this.em.findOneBy(ScheduleEntity, { name });
    });
  }

  remove(name: string): Promise<boolean> {
    return this.gate(async () => ((await this.em.delete(ScheduleEntity, { name })).affected ?? 0) > 0);
  }

  advance(name: string, slotAt: number): Promise<boolean> {
    return this.gate(async () => {
      const sql = new SqlStatement(this.postgres);
      // Only forward: of two processes at one slot, one moves it; a late one never moves it back.
      const text =
        `UPDATE stepwise_schedules SET last_slot_at = ${sql.p(slotAt, 'bigint')} WHERE name = ${sql.p(name)}` +
        ` AND (last_slot_at IS NULL OR last_slot_at < ${sql.p(slotAt, 'bigint')}) RETURNING name`;
      return (await this.statement({ sql: text, params: sql.params })).length > 0;
    });
  }

  private values(sql: SqlStatement, s: ScheduleRecord): string {
    return [
      sql.p(s.name),
      sql.p(s.type),
      sql.p(s.cron),
      sql.p(s.timezone),
      sql.p(s.input === undefined || s.input === null ? null : JSON.stringify(s.input)),
      sql.p(s.owner),
      sql.p(s.missed),
      sql.p(s.paused),
      sql.p(s.declared),
      sql.p(s.lastSlotAt, 'bigint'),
      sql.p(s.activeFrom, 'bigint'),
      sql.p(s.createdAt, 'bigint'),
      sql.p(s.updatedAt, 'bigint'),
    ].join(', ');
  }
}
