import type { EngineSettings } from '../engine';
import type { Clock, EventBus, ObjectStorage, TaskQueue, TaskStore } from '../ports';
import type { OwnerResolver } from './owner-resolver';

export type TaskMode = 'embedded' | 'distributed';
export type TaskRole = 'api' | 'worker' | 'all';

/** Limits on multipart submits; exceeding one answers 413 and stores nothing. */
export interface UploadLimits {
  /** Per file. Default 1 GiB. */
  maxFileSize: number;
  /** Files per request. Default 20. */
  maxFiles: number;
  /** Non-file fields per request. Default 50. */
  maxFields: number;
}

/** Options of `TaskModule.forRoot()`. Every field is optional. */
export interface TaskModuleOptions {
  /** `embedded` (default): SQLite, in-process queue and events, files on disk. */
  mode?: TaskMode;
  /** Which steps this process runs. Default `all` in embedded mode, `api` in distributed mode. */
  role?: TaskRole;
  /** Where embedded mode keeps its SQLite file and stored files. Default `./.data`. */
  dataDir?: string;
  /** PostgreSQL URL (`postgres://...`). Without it, SQLite under `dataDir`. */
  databaseUrl?: string;
  /** Redis URL (`redis://...`): BullMQ queue and cross-process events. Required in distributed mode. */
  redisUrl?: string;
  /** Engine tunables: lease, heartbeat, sweeper, concurrency, throttling, shutdown grace. */
  engine?: Partial<Omit<EngineSettings, 'workerId'>> & { workerId?: string };
  uploads?: Partial<UploadLimits>;
  ownerResolver?: OwnerResolver;
  /** Port overrides: any one can be replaced alone (e.g. S3 storage with the in-process queue). */
  store?: TaskStore;
  queue?: TaskQueue;
  eventBus?: EventBus;
  storage?: ObjectStorage;
  clock?: Clock;
  /** Serve the OpenAPI document and UI at `/docs`. Default true. */
  openApi?: boolean;
}
