import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { S3StorageOptions } from '../adapters/s3/s3-storage-options';
import type { Placement } from '../model';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../engine';
import { CorsPolicy } from './cors-policy';
import type {
  DashboardOptions,
  FairnessOptions,
  HttpServerOptions,
  QuotaOptions,
  RateLimitOptions,
  RealtimeOptions,
  ResumableUploadOptions,
  TaskMode,
  TaskModuleOptions,
  TaskRole,
  UploadLimits,
} from './task-module-options';

/** SigV4's ceiling on the lifetime of a presigned URL: seven days. */
const MAX_PRESIGN_SECONDS = 604_800;

/** Options with every default applied, computed once. */
export interface ResolvedOptions {
  mode: TaskMode;
  role: TaskRole;
  placements: Placement[];
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Set when storage is S3 (a bucket is named), whatever the mode. */
  s3?: S3StorageOptions;
  presignDownloads?: { expiresInSeconds: number };
  engine: EngineSettings;
  uploads: UploadLimits;
  /** Null when resumable uploads are off. */
  resumable: Required<Omit<ResumableUploadOptions, 'locker'>> | null;
  /** Null when the dashboard is off. */
  dashboard: Required<DashboardOptions> | null;
  realtime: Required<RealtimeOptions>;
  http: Required<HttpServerOptions>;
  /** Cross-origin access of the REST routes, tus and Socket.IO. */
  cors: CorsPolicy;
  /** Null when no class is rate limited. */
  rateLimit: RateLimitOptions | null;
  quotas: QuotaOptions;
}

/** Default of `http.idleTimeoutMs`. */
export const DEFAULT_HTTP_IDLE_TIMEOUT_MS = 60_000;

/**
 * @param context.hostQueue a feature module provides the queue on the host
 *   app's own infrastructure (`TaskModule.forFeature(tasks, { bullmq: true })`).
 */
export function resolveOptions(options: TaskModuleOptions, context: { hostQueue?: boolean } = {}): ResolvedOptions {
  const mode = options.mode ?? 'embedded';
  if (mode === 'distributed' && !options.queue && !options.redisUrl && !context.hostQueue) {
    throw new Error(
      "Stepwise: distributed mode needs redisUrl (REDIS_URL), the app's BullModule " +
        '(TaskModule.forFeature(tasks, { bullmq: true })) or a queue adapter',
    );
  }
  if (mode === 'distributed' && !options.store && !options.databaseUrl && !options.dataSource) {
    throw new Error('Stepwise: distributed mode needs databaseUrl (DATABASE_URL, postgres://) or a store adapter');
  }
  const presign = options.presignDownloads;
  const seconds = presign?.expiresInSeconds;
  if (presign && !(Number.isSafeInteger(seconds) && seconds! >= 1 && seconds! <= MAX_PRESIGN_SECONDS)) {
    throw new Error('Stepwise: presignDownloads.expiresInSeconds must be an integer from 1 to 604800 (7 days)');
  }
  const role = options.role ?? (mode === 'embedded' ? 'all' : 'api');
  const leaseMs = options.engine?.leaseMs ?? DEFAULT_ENGINE_SETTINGS.leaseMs;
  const realtime = resolveRealtime(options.realtime, options.http?.idleTimeoutMs ?? DEFAULT_HTTP_IDLE_TIMEOUT_MS);
  return {
    mode,
    role,
    placements: role === 'all' ? ['api', 'worker'] : [role],
    dataDir: resolve(options.dataDir ?? '.data'),
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    ...(options.s3?.bucket ? { s3: options.s3 } : {}),
    ...(presign ? { presignDownloads: { expiresInSeconds: presign.expiresInSeconds } } : {}),
    engine: {
      ...DEFAULT_ENGINE_SETTINGS,
      // A heartbeat a third of the lease survives two missed beats.
      heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
      ...options.engine,
      ...resolveFairness(options.fairness),
      workerId: options.engine?.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    },
    uploads: {
      maxFileSize: options.uploads?.maxFileSize ?? 1024 ** 3,
      maxFiles: options.uploads?.maxFiles ?? 20,
      maxTotalSize: options.uploads?.maxTotalSize ?? 4 * 1024 ** 3,
      maxFields: options.uploads?.maxFields ?? 50,
    },
    resumable: resolveResumable(options.uploads?.resumable),
    dashboard: resolveDashboard(options.dashboard, realtime),
    realtime,
    http: resolveHttp(options.http, realtime),
    cors: options.cors ? new CorsPolicy(options.cors) : CorsPolicy.NONE,
    rateLimit: resolveRateLimit(options.rateLimit),
    quotas: resolveQuotas(options.quotas),
  };
}

function resolveFairness(options: FairnessOptions = {}): Pick<EngineSettings, 'maxRunningPerOwner'> {
  const { perOwner } = options;
  if (perOwner === undefined) return {};
  if (!Number.isSafeInteger(perOwner) || perOwner < 1) {
    throw new Error('Stepwise: fairness.perOwner must be an integer >= 1');
  }
  return { maxRunningPerOwner: perOwner };
}

function resolveQuotas(options: QuotaOptions = {}): QuotaOptions {
  const resolved: QuotaOptions = {};
  for (const quota of ['activeTasks', 'storedBytes', 'openUploads'] as const) {
    const value = options[quota];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`Stepwise: quotas.${quota} must be an integer >= 1`);
    resolved[quota] = value;
  }
  return resolved;
}

const RATE_LIMIT_CLASSES = ['submit', 'read', 'upload'] as const;

function resolveRateLimit(options: RateLimitOptions | false | undefined): RateLimitOptions | null {
  if (!options) return null;
  const resolved: RateLimitOptions = {};
  for (const kind of RATE_LIMIT_CLASSES) {
    const limit = options[kind];
    if (limit === undefined) continue;
    if (
      !Number.isSafeInteger(limit?.limit) ||
      limit.limit < 1 ||
      !Number.isSafeInteger(limit.ttlMs) ||
      limit.ttlMs < 1
    ) {
      throw new Error(`Stepwise: rateLimit.${kind} must be { limit, ttlMs } with integers >= 1`);
    }
    resolved[kind] = { limit: limit.limit, ttlMs: limit.ttlMs };
  }
  return Object.keys(resolved).length > 0 ? resolved : null;
}

function resolveHttp(
  options: HttpServerOptions = {},
  realtime: Required<RealtimeOptions>,
): Required<HttpServerOptions> {
  const { idleTimeoutMs = DEFAULT_HTTP_IDLE_TIMEOUT_MS } = options;
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0) {
    throw new Error('Stepwise: http.idleTimeoutMs must be an integer >= 0 (0: leave the server alone)');
  }
  if (idleTimeoutMs > 0 && realtime.keepAliveMs >= idleTimeoutMs) {
    // An SSE stream of a quiet task would be closed as idle between two keep-alives.
    throw new Error(
      `Stepwise: realtime.keepAliveMs (${realtime.keepAliveMs}) must be below http.idleTimeoutMs (${idleTimeoutMs})`,
    );
  }
  return { idleTimeoutMs };
}

function resolveResumable(
  options: ResumableUploadOptions | boolean | undefined,
): Required<Omit<ResumableUploadOptions, 'locker'>> | null {
  // Off unless asked for: tus is loaded only when uploads are configured.
  if (options === false || options === undefined) return null;
  if (options === true) options = {};
  const day = 86_400_000;
  const { expireAfterMs = day, retentionMs = day, dedup = true, cleanupIntervalMs = 60_000 } = options ?? {};
  for (const [name, value] of Object.entries({ expireAfterMs, retentionMs, cleanupIntervalMs })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`Stepwise: uploads.resumable.${name} must be >= 1`);
  }
  return { expireAfterMs, retentionMs, dedup, cleanupIntervalMs };
}

/** Default of `dashboard.path`: the library never takes `/` unless asked. */
export const DEFAULT_DASHBOARD_PATH = '/dashboard';

/** Paths of the library's own routes, which the dashboard must stay out of. */
const TAKEN_PATHS = ['/tasks', '/schedules', '/uploads', '/health', '/metrics', '/docs', '/docs-json'];

/** The path with one trailing slash forgiven (`/ops/` is `/ops`), or null when it cannot be the dashboard's. */
export function normalizeDashboardPath(path: unknown): string | null {
  if (typeof path !== 'string') return null;
  const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path;
  if (!/^(\/[\w.~-]+)+$|^\/$/.test(trimmed) || /\/\.\.?(\/|$)/.test(trimmed)) return null;
  return trimmed;
}

/** What {@link normalizeDashboardPath} accepts. */
export const DASHBOARD_PATH_RULE = 'must be / or /segments of letters, digits, "-", "_", "." or "~"';

function resolveDashboard(
  options: DashboardOptions | boolean | undefined,
  realtime: Required<RealtimeOptions>,
): Required<DashboardOptions> | null {
  if (options === false) return null;
  const raw: unknown = (typeof options === 'object' ? options.path : undefined) ?? DEFAULT_DASHBOARD_PATH;
  const path = normalizeDashboardPath(raw);
  if (path === null) throw new Error(`Stepwise: dashboard.path ${JSON.stringify(raw)} ${DASHBOARD_PATH_RULE}`);
  const taken = [...TAKEN_PATHS, realtime.path.replace(/\/+$/, '')].filter(Boolean);
  const clash = taken.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  if (clash) throw new Error(`Stepwise: dashboard.path ${path} is under ${clash}, which the library serves`);
  return { path };
}

/** Default of `realtime.keepAliveMs`, unless the idle timeout asks for less. */
export const DEFAULT_SSE_KEEP_ALIVE_MS = 15_000;

/**
 * `keepAliveMs` not given: 15 s, or half the idle timeout when that is
 * shorter, so that `HTTP_IDLE_TIMEOUT_MS` alone (the environment has no
 * variable for the keep-alive) never makes a configuration that cannot boot.
 */
function resolveRealtime(options: RealtimeOptions = {}, idleTimeoutMs: number): Required<RealtimeOptions> {
  const defaultKeepAlive =
    Number.isSafeInteger(idleTimeoutMs) && idleTimeoutMs > 0
      ? Math.max(1, Math.min(DEFAULT_SSE_KEEP_ALIVE_MS, Math.floor(idleTimeoutMs / 2)))
      : DEFAULT_SSE_KEEP_ALIVE_MS;
  const { progressThrottleMs = 100, path = '/socket.io', keepAliveMs = defaultKeepAlive } = options;
  if (!Number.isFinite(progressThrottleMs) || progressThrottleMs < 0) {
    throw new Error('Stepwise: realtime.progressThrottleMs must be a number >= 0');
  }
  if (!Number.isFinite(keepAliveMs) || keepAliveMs < 1) throw new Error('Stepwise: realtime.keepAliveMs must be >= 1');
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error('Stepwise: realtime.path must start with /');
  return { progressThrottleMs, path, keepAliveMs };
}
