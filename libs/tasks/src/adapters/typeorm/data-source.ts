import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskStepEntity } from './entities/task-step.entity';
import { TaskEntity } from './entities/task.entity';
import { ScheduleEntity } from './entities/schedule.entity';
import { UploadEntity } from './entities/upload.entity';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { ApiKeyEntity } from './entities/api-key.entity';
import { InitialSchema1700000000000 } from './migrations/1700000000000-initial-schema';
import { WebhookDeliveries1700000000001 } from './migrations/1700000000001-webhook-deliveries';
import { Uploads1700000000002 } from './migrations/1700000000002-uploads';
import { DueIndexes1700000000003 } from './migrations/1700000000003-due-indexes';
import { AbandonedAndDeleteRequests1700000000004 } from './migrations/1700000000004-abandoned-and-delete-requests';
import { IdempotencyFingerprint1700000000006 } from './migrations/1700000000006-idempotency-fingerprint';
import { Schedules1700000000007 } from './migrations/1700000000007-schedules';
import { ApiKeys1700000000008 } from './migrations/1700000000008-api-keys';
import { SingletonKeys1700000000009 } from './migrations/1700000000009-singleton-keys';
import { SignalsAndChildren1700000000010 } from './migrations/1700000000010-signals-and-children';
import { ClusterLimits1700000000011 } from './migrations/1700000000011-cluster-limits';
import { AuditActorAndTraceContext1700000000012 } from './migrations/1700000000012-audit-actor-and-trace-context';
import { HotPathWriteCost1700000000013 } from './migrations/1700000000013-hot-path-write-cost';

export interface StepwiseDataSourceOptions {
  /** `postgres://` or `postgresql://` URL; without it, SQLite at `sqlitePath`. */
  url?: string;
  /** SQLite database file (default `./.data/stepwise.sqlite`); its directory is created. */
  sqlitePath?: string;
  logging?: boolean;
}

/**
 * Stepwise's entities, for a host `DataSource` that Stepwise shares
 * (`TaskModule.forRoot({ dataSource })`): add them to its `entities`.
 * Listed one by one, not globbed: the code is bundled and compiled by swc.
 */
export const STEPWISE_ENTITIES = [
  TaskEntity,
  TaskStepEntity,
  TaskEventEntity,
  WebhookDeliveryEntity,
  UploadEntity,
  ScheduleEntity,
  ApiKeyEntity,
];

/** Stepwise's schema migrations, in order, for the host's migration run (its `migrations`). */
export const STEPWISE_MIGRATIONS = [
  InitialSchema1700000000000,
  WebhookDeliveries1700000000001,
  Uploads1700000000002,
  DueIndexes1700000000003,
  AbandonedAndDeleteRequests1700000000004,
  IdempotencyFingerprint1700000000006,
  Schedules1700000000007,
  ApiKeys1700000000008,
  SingletonKeys1700000000009,
  SignalsAndChildren1700000000010,
  ClusterLimits1700000000011,
  AuditActorAndTraceContext1700000000012,
  HotPathWriteCost1700000000013,
];

const common = {
  entities: STEPWISE_ENTITIES,
  migrations: STEPWISE_MIGRATIONS,
  // Our own name, so we never collide with the host application's migrations table.
  migrationsTableName: 'stepwise_migrations',
  migrationsRun: true,
  synchronize: false,
};

/**
 * The DataSource behind `TypeOrmTaskStore`: PostgreSQL when given a postgres
 * URL, otherwise an embedded SQLite file. Migrations run on `initialize()`.
 */
export function createStepwiseDataSource(options: StepwiseDataSourceOptions): DataSource {
  const logging = options.logging ?? false;
  if (options.url) {
    // A URL we cannot serve must not silently fall back to a local file.
    if (!/^postgres(ql)?:\/\//i.test(options.url)) {
      throw new Error(`Stepwise: unsupported database URL scheme in "${options.url.split(':')[0]}:"; use postgres://`);
    }
    return new DataSource({
      ...common,
      type: 'postgres',
      url: options.url,
      logging,
      // Fail fast (instead of hanging) when the database is down.
      connectTimeoutMS: 5_000,
      extra: { max: 10 },
      // Run under an advisory lock by initializeStepwiseDataSource: an api and
      // workers starting together on an empty database must not race.
      migrationsRun: false,
    });
  }
  return new DataSource(sqliteOptions(options.sqlitePath ?? resolve('.data', 'stepwise.sqlite'), logging));
}

/** Arbitrary, fixed: the key of the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x57e9_0001;

/**
 * Creates and initialises the DataSource, running migrations once even when
 * several processes start at the same moment (PostgreSQL advisory lock).
 */
export async function initializeStepwiseDataSource(options: StepwiseDataSourceOptions): Promise<DataSource> {
  const dataSource = await createStepwiseDataSource(options).initialize();
  if (dataSource.options.type !== 'postgres') return dataSource;
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}

function sqliteOptions(path: string, logging: boolean): DataSourceOptions {
  mkdirSync(dirname(path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: path,
    logging,
    timeout: 5_000,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      // WAL lets readers (other processes, health checks) proceed during writes;
      // NORMAL is durable across process crashes, and only a power loss may drop
      // the last commits. busy_timeout waits out another process's write lock.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    },
  };
}

/**
 * Checks a host's `DataSource` before Stepwise uses it: initialised, a
 * database Stepwise runs on, and Stepwise's tables present (the host runs
 * `STEPWISE_MIGRATIONS` with its own).
 */
export async function checkHostDataSource(dataSource: DataSource): Promise<DataSource> {
  const type = dataSource.options.type;
  if (type !== 'postgres' && type !== 'better-sqlite3') {
    throw new Error(`Stepwise: the DataSource given is "${type}"; Stepwise runs on "postgres" or "better-sqlite3"`);
  }
  if (!dataSource.isInitialized) await dataSource.initialize();
  const missing = [];
  for (const entity of STEPWISE_ENTITIES) {
    if (!dataSource.hasMetadata(entity)) missing.push(entity.options.name);
  }
  if (missing.length > 0) {
    throw new Error(
      `Stepwise: the DataSource given lacks Stepwise's entities (${missing.join(', ')}): add STEPWISE_ENTITIES to its entities`,
    );
  }
  try {
    await dataSource.query('SELECT 1 FROM stepwise_tasks WHERE 1 = 0');
  } catch {
    throw new Error(
      'Stepwise: the DataSource given has no Stepwise tables: add STEPWISE_MIGRATIONS to its migrations and run them (migrationsRun: true, or your migration command)',
    );
  }
  return dataSource;
}
