import type { DataSource } from 'typeorm';
import type { S3StorageOptions } from '../adapters/s3/s3-storage-options';
import type { EngineSettings } from '../engine';
import type { Clock, EventBus, ObjectStorage, ScheduleStore, TaskQueue, TaskStore } from '../ports';
import type { AuthOptions } from './auth/auth-options';
import type { AuthorizeOptions } from './auth/task-authorizer';
import type { CorsOptions } from './cors-policy';
import type { OwnerResolver } from './owner-resolver';
import type { WebhookOptions } from './webhook-settings';
import type { UploadLocker } from '../ports/upload-locker';

export type TaskMode = 'embedded' | 'distributed';
export type TaskRole = 'api' | 'worker' | 'all';

/** Limits on multipart submits; exceeding one answers 413 and stores nothing. */
export interface UploadLimits {
  /** Per file. Default 1 GiB. */
  maxFileSize: number;
  /** Files per request. Default 20. */
  maxFiles: number;
  /** All the files of one request together. Default 4 GiB. */
  maxTotalSize: number;
  /** Non-file fields per request. Default 50. */
  maxFields: number;
}

/** Resumable uploads over tus 1.0 at `/uploads/` (api role). */
export interface ResumableUploadOptions {
  /** An incomplete upload is deleted this long after its creation. Default 24 h. */
  expireAfterMs?: number;
  /** A finished upload (and its content, once no other upload shares it) is deleted after this. Default 24 h. */
  retentionMs?: number;
  /** Store the same content (same SHA-256) once. Default true. */
  dedup?: boolean;
  /** Period of the cleanup of expired uploads. Default 60 s. */
  cleanupIntervalMs?: number;
  /**
   * The tus locker. Default: on Redis when `redisUrl` is set or the queues
   * run on the app's BullModule (several API instances share it), in memory
   * otherwise (one API process).
   */
  locker?: UploadLocker;
}

/** Live events: the Socket.IO gateway (namespace `/tasks`) and the SSE stream (`GET /tasks/{id}/events`). */
export interface RealtimeOptions {
  /**
   * Minimum time between two `task.progress` events of one task sent to
   * Socket.IO clients; the latest value always wins, step and terminal events
   * are never held back. `0` sends every progress event. Default 100.
   */
  progressThrottleMs?: number;
  /** Socket.IO (engine.io) path on the HTTP server. Default `/socket.io`. */
  path?: string;
  /**
   * Period of the `: keep-alive` comment on idle SSE streams. Default 15000,
   * or half of `http.idleTimeoutMs` when that is shorter.
   */
  keepAliveMs?: number;
}

/** The live dashboard: a page listing the owner's tasks, following them live, with a form per task type. */
export interface DashboardOptions {
  /**
   * Where the page is served, under the app's global prefix: `/ops/tasks`,
   * or `/` to take the root. Letters, digits, `-`, `_`, `.` and `~` in each
   * segment; not under `/tasks`, `/schedules`, `/uploads`, `/health`,
   * `/metrics`, `/docs` or the Socket.IO path. Its files are served below
   * it, at `{path}/assets/`. `TaskModule`'s `routePrefix` does not apply: it
   * moves the REST routes, which the page finds. Default `/dashboard`.
   */
  path?: string;
}

/** The HTTP server the app serves Stepwise's routes on (api and all roles). */
export interface HttpServerOptions {
  /**
   * A connection on which nothing is received or sent for this long is
   * closed (Node's socket timeout, `server.setTimeout`): a client that stops
   * mid-body no longer holds a connection forever, while an upload that
   * keeps sending, however long, is never cut. Must exceed
   * `realtime.keepAliveMs` (SSE streams send a comment that often; its
   * default follows this one) and
   * Socket.IO's ping interval (25 s) for long-polling clients. `0` leaves
   * the server's own setting alone. Default 60000.
   */
  idleTimeoutMs?: number;
}

/** One rate limit: at most `limit` requests per caller in a window of `ttlMs`. */
export interface RateLimit {
  limit: number;
  ttlMs: number;
}

/**
 * Rate limits per route class, counted per caller owner (per IP for an
 * anonymous or unidentified caller): `submit` (POST /tasks/{type} and the
 * retries), `read` (the GET routes), `upload` (tus creation and PATCH). A
 * class left out is not limited.
 */
export interface RateLimitOptions {
  submit?: RateLimit;
  read?: RateLimit;
  upload?: RateLimit;
}

/** Quotas per owner, counted in the database so that every API instance agrees. */
export interface QuotaOptions {
  /** Most tasks an owner may have that are not terminal (pending, running, paused...); a submit or retry past it is a `403`. */
  activeTasks?: number;
  /**
   * Most bytes an owner may keep stored: its tasks' result files and its
   * finished resumable uploads. A submit or a tus upload creation while the
   * owner is at it is a `403`.
   */
  storedBytes?: number;
  /** Most resumable (tus) uploads an owner may have in progress; a creation past it is a `403`. */
  openUploads?: number;
}

/** Fairness between owners, across every worker (`TASKS_MAX_RUNNING_PER_OWNER`). */
export interface FairnessOptions {
  /**
   * At most this many tasks of one owner run at once, of every type
   * together, checked at claim in the database: one owner's backlog of long
   * tasks cannot take every worker. A type's own `concurrency.perOwner` caps
   * its tasks besides. Default: no limit.
   */
  perOwner?: number;
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
  /**
   * The host app's TypeORM `DataSource` (PostgreSQL or better-sqlite3), e.g.
   * the one `@nestjs/typeorm` registers: Stepwise's tables then live in the
   * app's database, with `STEPWISE_ENTITIES` among its entities and
   * `STEPWISE_MIGRATIONS` run with its migrations (`@stepwise/tasks/typeorm`).
   * Stepwise neither migrates nor closes it. Replaces `databaseUrl`.
   */
  dataSource?: DataSource;
  /**
   * Redis URL (`redis://...`): BullMQ queue and cross-process events.
   * Required in distributed mode, unless the queues run on the app's own
   * `@nestjs/bullmq` (`TaskModule.forFeature(tasks, { bullmq: true })`),
   * whose Redis then carries the events too; given as well, it carries
   * the events and the upload locker only.
   */
  redisUrl?: string;
  /** Engine tunables: lease, heartbeat, sweeper, concurrency, throttling, shutdown grace. */
  engine?: Partial<Omit<EngineSettings, 'workerId'>> & { workerId?: string };
  /**
   * Multipart limits (`maxFileSize` is also the largest resumable upload) and
   * resumable uploads: `resumable: true` (or its options) serves `/uploads/`
   * (tus); off when absent, and tus is then never loaded. The shipped apps
   * turn it on unless `UPLOAD_RESUMABLE=false`.
   */
  uploads?: Partial<UploadLimits> & { resumable?: ResumableUploadOptions | boolean };
  /**
   * Decides who the caller is (owner and roles); every query is scoped by
   * the answer. Default: one `anonymous` owner (scoping off).
   */
  ownerResolver?: OwnerResolver;
  /**
   * Built-in authentication (the apps' `TASKS_AUTH`): `{ scheme: 'apikey' }`.
   * Its resolver answers every call's owner and roles; exclusive with
   * `ownerResolver`. Default none: scoping as `ownerResolver` says.
   */
  auth?: AuthOptions;
  /**
   * Authorization beyond owner equality: the admin role (default `admin`)
   * that sees every owner's tasks, and per-action hooks answering `403`.
   */
  authorize?: AuthorizeOptions;
  /**
   * S3 (or S3-compatible) object storage, in either mode: used when `bucket`
   * is set (and `storage` is not given); files go to `dataDir` otherwise.
   */
  s3?: S3StorageOptions;
  /**
   * Adds `file.presignedUrl` to a completed task's result: a URL that reads
   * the result file straight from the storage, valid `expiresInSeconds`
   * (1 to 604800), so that large downloads bypass the API. Only with storage
   * that can presign (S3); ignored, with a warning at boot, otherwise.
   */
  presignDownloads?: { expiresInSeconds: number };
  /** Port overrides: any one can be replaced alone (e.g. S3 storage with the in-process queue). */
  store?: TaskStore;
  queue?: TaskQueue;
  eventBus?: EventBus;
  storage?: ObjectStorage;
  clock?: Clock;
  /**
   * Where cron schedules live. Default: Stepwise's database; in memory when
   * `store` is an override (give one beside it for schedules that survive a
   * restart, on the same database as the tasks).
   */
  scheduleStore?: ScheduleStore;
  /**
   * The live dashboard: served at `/dashboard` by default (`true` or `{}`),
   * at another path with `{ path }` (`{ path: '/' }` takes the root, as the
   * shipped API does); `false` serves nothing.
   */
  dashboard?: boolean | DashboardOptions;
  /**
   * Webhooks: each task's `callbackUrl` plus global `subscriptions`, signed
   * with `secret` (WEBHOOK_SECRET), retried with backoff from a durable outbox.
   */
  webhooks?: WebhookOptions;
  /** Socket.IO and SSE tunables. */
  realtime?: RealtimeOptions;
  /** The HTTP server's idle timeout. */
  http?: HttpServerOptions;
  /**
   * Cross-origin access to the REST routes, the tus uploads and Socket.IO
   * from other origins' pages (`TASKS_CORS_ORIGINS`): `{ origins, credentials? }`.
   * Default: same origin only, no CORS header is sent, and a Socket.IO
   * handshake from another origin's page is refused.
   */
  cors?: CorsOptions;
  /**
   * Rate limits (`@nestjs/throttler`'s storage): over a limit, `429` with
   * `Retry-After`. Counted in Redis (shared by every API instance) when
   * `redisUrl` is set, in memory otherwise. Default `false`: no limit.
   */
  rateLimit?: RateLimitOptions | false;
  /** Quotas per owner (`activeTasks`, `storedBytes`, `openUploads`), read from the database at each submit or upload creation. Default: none. */
  quotas?: QuotaOptions;
  /** Per-owner cap on running tasks of every type together, enforced at claim across the cluster. Default: none. */
  fairness?: FairnessOptions;
}
