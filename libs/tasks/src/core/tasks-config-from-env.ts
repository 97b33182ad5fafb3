import { ObjectKeys, type InvalidObjectKeyError } from '../adapters/s3/object-keys';
import type { MetricsOptions } from './task-module.definition';
import type { S3StorageOptions } from '../adapters/s3/s3-storage-options';
import type { AuthOptions, JwtAuthOptions } from './auth/auth-options';
import { CorsPolicy, type CorsOptions } from './cors-policy';
import { MIN_JWT_SECRET_LENGTH } from './auth/jwt-owner-resolver';
import { DASHBOARD_PATH_RULE, normalizeDashboardPath } from './resolved-options';
import type {
  RateLimitOptions,
  ResumableUploadOptions,
  TaskMode,
  TaskModuleOptions,
  TaskRole,
} from './task-module-options';

type Env = Record<string, string | undefined>;

/** Bad configuration: the message names every offending variable, on one line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const MODES: readonly TaskMode[] = ['embedded', 'distributed'];
const ROLES: readonly TaskRole[] = ['api', 'worker', 'all'];

/**
 * Task module options from environment variables (all optional):
 *
 * | variable | option | value |
 * | --- | --- | --- |
 * | `TASKS_MODE` | `mode` | `embedded` (default) or `distributed` |
 * | `TASKS_ROLE` | `role` | `api`, `worker` or `all` |
 * | `DATA_DIR` | `dataDir` | directory of the SQLite file and stored files (default `./.data`) |
 * | `DATABASE_URL` | `databaseUrl` | `postgres://...`; required in distributed mode |
 * | `REDIS_URL` | `redisUrl` | `redis://...`; required in distributed mode |
 * | `TASKS_LEASE_MS` | `engine.leaseMs` | positive integer |
 * | `TASKS_CONCURRENCY` | `engine.concurrency` | positive integer |
 * | `TASKS_SWEEP_INTERVAL_MS` | `engine.sweepIntervalMs` | positive integer |
 * | `TASKS_PENDING_GRACE_MS` | `engine.pendingGraceMs` | integer >= 0 |
 * | `TASKS_SHUTDOWN_GRACE_MS` | `engine.shutdownGraceMs` | integer >= 0 |
 * | `TASKS_ABORT_GRACE_MS` | `engine.abortGraceMs` | integer >= 0: an aborted step that ignores its signal longer is abandoned |
 * | `TASKS_SCHEDULE_INTERVAL_MS` | `engine.scheduleIntervalMs` | integer >= 0: longest wait between two scheduler passes; 0 runs none in this process |
 * | `UPLOAD_MAX_FILE_SIZE` | `uploads.maxFileSize` | bytes, or with a unit: `500MB`, `2GiB`, `64k` |
 * | `UPLOAD_MAX_FILES` | `uploads.maxFiles` | positive integer |
 * | `UPLOAD_MAX_TOTAL_SIZE` | `uploads.maxTotalSize` | bytes, or with a unit, as `UPLOAD_MAX_FILE_SIZE` |
 * | `UPLOAD_RESUMABLE` | `uploads.resumable` | `0`/`false` turns `/uploads/` (tus) off |
 * | `UPLOAD_EXPIRE_AFTER_MS` | `uploads.resumable.expireAfterMs` | positive integer: incomplete uploads are deleted after it |
 * | `UPLOAD_RETENTION_MS` | `uploads.resumable.retentionMs` | positive integer: finished uploads are deleted after it |
 * | `S3_BUCKET` | `s3.bucket` | storage is S3 when set, the filesystem under `DATA_DIR` otherwise (either mode) |
 * | `S3_REGION` | `s3.region` | default `us-east-1` |
 * | `S3_ENDPOINT` | `s3.endpoint` | `http(s)://` URL of an S3-compatible server (MinIO...); unset: AWS |
 * | `S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY` | `s3.accessKeyId`, `s3.secretAccessKey` | both or neither (then the AWS default chain) |
 * | `S3_FORCE_PATH_STYLE` | `s3.forcePathStyle` | `1`/`true` or `0`/`false`; default true with `S3_ENDPOINT` |
 * | `S3_PREFIX` | `s3.prefix` | key prefix inside the bucket, e.g. `stepwise/` |
 * | `S3_MAX_CONCURRENT_UPLOADS` | `s3.maxConcurrentUploads` | uploads to S3 in flight per process (default 3); the others wait unread |
 * | `S3_PUBLIC_ENDPOINT` | `s3.publicEndpoint` | endpoint presigned URLs name, when clients reach the storage elsewhere |
 * | `S3_PRESIGN_DOWNLOADS_SECONDS` | `presignDownloads.expiresInSeconds` | 1 to 604800: results carry a presigned URL |
 * | `DASHBOARD` | `dashboard` | `0`/`false` turns the dashboard off |
 * | `DASHBOARD_PATH` | `dashboard.path` | where the dashboard is served, `/` or `/segments` (default `/dashboard`; the shipped API: `/`) |
 * | `HTTP_IDLE_TIMEOUT_MS` | `http.idleTimeoutMs` | integer >= 0: a connection silent this long is closed (default 60000; 0 leaves Node's setting) |
 * | `WEBHOOK_SECRET` | `webhooks.secret` | HMAC key of `X-Stepwise-Signature`, at least 16 characters |
 * | `WEBHOOK_ALLOW_PRIVATE` | `webhooks.allowPrivate` | `1`/`true` allows private, loopback and link-local targets |
 * | `WEBHOOK_MAX_ATTEMPTS`, `WEBHOOK_TIMEOUT_MS`, `WEBHOOK_RETRY_DELAY_MS`, `WEBHOOK_MAX_RETRY_DELAY_MS` | `webhooks.maxAttempts`, `.timeoutMs`, `.retryDelayMs`, `.maxRetryDelayMs` | positive integers |
 * | `TASKS_AUTH` | `auth` | `none` (default: the API is open), `apikey` or `jwt` |
 * | `TASKS_JWT_SECRET` | `auth.secret` | HS256 secret, at least 32 characters (`jwt`; or the next) |
 * | `TASKS_JWT_JWKS_URL` | `auth.jwksUrl` | `http(s)://` URL of the issuer's JWKS (`jwt`: RS256, ES256...) |
 * | `TASKS_JWT_ISSUER`, `TASKS_JWT_AUDIENCE` | `auth.issuer`, `auth.audience` | accepted `iss` and `aud`, comma-separated |
 * | `TASKS_JWT_OWNER_CLAIM`, `TASKS_JWT_ROLES_CLAIM` | `auth.ownerClaim`, `auth.rolesClaim` | default `sub` and `roles` |
 * | `TASKS_CORS_ORIGINS` | `cors.origins` | `*`, or origins separated by commas (`https://app.example.com`); unset: same origin only |
 * | `TASKS_CORS_CREDENTIALS` | `cors.credentials` | `1`/`true`: allow cookies (not with `*`) |
 * | `TASKS_QUOTA_ACTIVE_TASKS` | `quotas.activeTasks` | positive integer: most unfinished tasks per owner |
 * | `TASKS_QUOTA_STORED_BYTES` | `quotas.storedBytes` | bytes, or with a unit (`10GiB`): most stored per owner (result files, finished uploads) |
 * | `TASKS_QUOTA_OPEN_UPLOADS` | `quotas.openUploads` | positive integer: most tus uploads in progress per owner |
 * | `TASKS_MAX_RUNNING_PER_OWNER` | `fairness.perOwner` | positive integer: most running tasks per owner, of every type together, across the cluster |
 * | `TASKS_RATE_LIMIT_SUBMIT`, `TASKS_RATE_LIMIT_READ`, `TASKS_RATE_LIMIT_UPLOAD` | `rateLimit.submit`, `.read`, `.upload` | `<limit>/<ttlMs>`, e.g. `30/60000`; `off` (or unset): no limit |
 *
 * An empty variable counts as unset. `defaults` fill what the environment
 * leaves unset (the worker app defaults `role` to `worker`).
 *
 * @throws ConfigError listing every invalid variable.
 */
export function taskModuleOptionsFromEnv(env: Env = process.env, defaults: TaskModuleOptions = {}): TaskModuleOptions {
  const read = new EnvReader(env);
  const mode = read.oneOf('TASKS_MODE', MODES) ?? defaults.mode;
  const role = read.oneOf('TASKS_ROLE', ROLES) ?? defaults.role;
  const databaseUrl = read.databaseUrl('DATABASE_URL') ?? defaults.databaseUrl;
  const redisUrl = read.url('REDIS_URL', ['redis:', 'rediss:']) ?? defaults.redisUrl;
  if (mode === 'distributed' && !databaseUrl) {
    read.problems.push(
      'TASKS_MODE=distributed needs DATABASE_URL (postgres://...): every process must share one database',
    );
  }
  if (mode === 'distributed' && !redisUrl) {
    read.problems.push('TASKS_MODE=distributed needs REDIS_URL (redis://...): the queue and the events live there');
  }
  const engine = compact(
    {
      leaseMs: read.integer('TASKS_LEASE_MS', 1),
      concurrency: read.integer('TASKS_CONCURRENCY', 1),
      sweepIntervalMs: read.integer('TASKS_SWEEP_INTERVAL_MS', 1),
      pendingGraceMs: read.integer('TASKS_PENDING_GRACE_MS', 0),
      shutdownGraceMs: read.integer('TASKS_SHUTDOWN_GRACE_MS', 0),
      abortGraceMs: read.integer('TASKS_ABORT_GRACE_MS', 0),
      scheduleIntervalMs: read.integer('TASKS_SCHEDULE_INTERVAL_MS', 0),
    },
    defaults.engine,
  );
  const resumableOn = read.flag('UPLOAD_RESUMABLE');
  const resumableDefaults = defaults.uploads?.resumable;
  const resumable: ResumableUploadOptions | false =
    resumableOn === false
      ? false
      : compact(
          {
            expireAfterMs: read.integer('UPLOAD_EXPIRE_AFTER_MS', 1),
            retentionMs: read.integer('UPLOAD_RETENTION_MS', 1),
          },
          typeof resumableDefaults === 'object' ? resumableDefaults : undefined,
        );
  const uploads = compact(
    {
      maxFileSize: read.byteSize('UPLOAD_MAX_FILE_SIZE'),
      maxFiles: read.integer('UPLOAD_MAX_FILES', 1),
      maxTotalSize: read.byteSize('UPLOAD_MAX_TOTAL_SIZE'),
      resumable: resumable === false || Object.keys(resumable).length > 0 ? resumable : undefined,
    },
    defaults.uploads,
  );
  const webhooks = compact(
    {
      secret: read.secret('WEBHOOK_SECRET', 16),
      allowPrivate: read.flag('WEBHOOK_ALLOW_PRIVATE'),
      maxAttempts: read.integer('WEBHOOK_MAX_ATTEMPTS', 1),
      timeoutMs: read.integer('WEBHOOK_TIMEOUT_MS', 1),
      retryDelayMs: read.integer('WEBHOOK_RETRY_DELAY_MS', 1),
      maxRetryDelayMs: read.integer('WEBHOOK_MAX_RETRY_DELAY_MS', 1),
    },
    defaults.webhooks,
  );
  const dashboard = readDashboard(read, defaults.dashboard);
  const http = compact({ idleTimeoutMs: read.integer('HTTP_IDLE_TIMEOUT_MS', 0) }, defaults.http);
  const auth = readAuth(read) ?? defaults.auth;
  const cors = readCors(read) ?? defaults.cors;
  const rateLimit = readRateLimit(read, defaults.rateLimit);
  const quotas = compact(
    {
      activeTasks: read.integer('TASKS_QUOTA_ACTIVE_TASKS', 1),
      storedBytes: read.byteSize('TASKS_QUOTA_STORED_BYTES'),
      openUploads: read.integer('TASKS_QUOTA_OPEN_UPLOADS', 1),
    },
    defaults.quotas,
  );
  const fairness = compact({ perOwner: read.integer('TASKS_MAX_RUNNING_PER_OWNER', 1) }, defaults.fairness);
  const s3 = readS3(read, defaults.s3);
  const presignSeconds = read.integer('S3_PRESIGN_DOWNLOADS_SECONDS', 1, MAX_PRESIGN_SECONDS);
  if (presignSeconds !== undefined && !s3 && read.string('S3_BUCKET') === undefined) {
    read.problems.push('S3_PRESIGN_DOWNLOADS_SECONDS needs S3_BUCKET: only S3 storage can presign');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);

  return compact({
    ...defaults,
    mode,
    role,
    dataDir: read.string('DATA_DIR') ?? defaults.dataDir,
    databaseUrl,
    redisUrl,
    engine: Object.keys(engine).length > 0 ? engine : undefined,
    uploads: Object.keys(uploads).length > 0 ? uploads : undefined,
    s3,
    presignDownloads: presignSeconds !== undefined ? { expiresInSeconds: presignSeconds } : defaults.presignDownloads,
    webhooks: Object.keys(webhooks).length > 0 ? webhooks : undefined,
    dashboard,
    http: Object.keys(http).length > 0 ? http : undefined,
    auth,
    cors,
    rateLimit,
    quotas: Object.keys(quotas).length > 0 ? quotas : undefined,
    fairness: Object.keys(fairness).length > 0 ? fairness : undefined,
  });
}

/** `TASKS_CORS_ORIGINS` (`*`, or origins separated by commas) and `TASKS_CORS_CREDENTIALS`. */
function readCors(read: EnvReader): CorsOptions | undefined {
  const origins = read.list('TASKS_CORS_ORIGINS');
  const credentials = read.flag('TASKS_CORS_CREDENTIALS');
  if (!origins) {
    if (credentials !== undefined) read.problems.push('TASKS_CORS_CREDENTIALS needs TASKS_CORS_ORIGINS');
    return undefined;
  }
  if (origins.includes('*') && credentials) {
    read.problems.push('TASKS_CORS_CREDENTIALS cannot be used with TASKS_CORS_ORIGINS=*: list the origins');
    return undefined;
  }
  const options: CorsOptions = {
    origins: origins.length === 1 && origins[0] === '*' ? '*' : origins,
    ...(credentials !== undefined ? { credentials } : {}),
  };
  try {
    new CorsPolicy(options);
  } catch (error) {
    read.problems.push(
      `TASKS_CORS_ORIGINS: ${(error as Error).message.replace(/^Stepwise: cors\.\w+: ?/, '').replace(/^Stepwise: /, '')}`,
    );
    return undefined;
  }
  return options;
}

const RATE_LIMIT_VARIABLES = {
  submit: 'TASKS_RATE_LIMIT_SUBMIT',
  read: 'TASKS_RATE_LIMIT_READ',
  upload: 'TASKS_RATE_LIMIT_UPLOAD',
} as const;

/** `TASKS_RATE_LIMIT_<CLASS>=<limit>/<ttlMs>` for each class; the defaults fill the classes left unset. */
function readRateLimit(read: EnvReader, defaults: RateLimitOptions | false | undefined): RateLimitOptions | undefined {
  const limits: RateLimitOptions = { ...(defaults || {}) };
  for (const [kind, name] of Object.entries(RATE_LIMIT_VARIABLES) as Array<[keyof RateLimitOptions, string]>) {
    const raw = read.string(name);
    if (raw === undefined) continue;
    if (/^(off|none|0|false)$/i.test(raw)) {
      delete limits[kind];
      continue;
    }
    const match = /^(\d+)\/(\d+)$/.exec(raw);
    const limit = Number(match?.[1]);
    const ttlMs = Number(match?.[2]);
    if (!match || !Number.isSafeInteger(limit) || limit < 1 || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
      read.problems.push(
        `${name}=${JSON.stringify(raw)} must be <limit>/<ttlMs> with integers >= 1 (e.g. 30/60000), or off`,
      );
      continue;
    }
    limits[kind] = { limit, ttlMs };
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

const AUTH_SCHEMES = ['none', 'apikey', 'jwt'] as const;
const JWT_VARIABLES = [
  'TASKS_JWT_SECRET',
  'TASKS_JWT_JWKS_URL',
  'TASKS_JWT_ISSUER',
  'TASKS_JWT_AUDIENCE',
  'TASKS_JWT_OWNER_CLAIM',
  'TASKS_JWT_ROLES_CLAIM',
];

/** `TASKS_AUTH`: built-in authentication; `none` (or unset) leaves the API open. */
function readAuth(read: EnvReader): AuthOptions | undefined {
  const scheme = read.oneOf('TASKS_AUTH', AUTH_SCHEMES);
  if (scheme !== 'jwt') {
    const orphans = JWT_VARIABLES.filter((name) => read.string(name) !== undefined);
    // Never an open API that its operator believes closed.
    if (orphans.length > 0) {
      read.problems.push(
        `${orphans.join(', ')} ${orphans.length > 1 ? 'are' : 'is'} set but TASKS_AUTH is not jwt: set TASKS_AUTH=jwt`,
      );
    }
    return scheme === 'apikey' ? { scheme } : undefined;
  }
  const secret = read.secret('TASKS_JWT_SECRET', MIN_JWT_SECRET_LENGTH);
  const jwksUrl = read.url('TASKS_JWT_JWKS_URL', ['http:', 'https:']);
  const secretGiven = read.string('TASKS_JWT_SECRET') !== undefined;
  const jwksGiven = read.string('TASKS_JWT_JWKS_URL') !== undefined;
  if (secretGiven === jwksGiven) {
    read.problems.push(
      'TASKS_AUTH=jwt needs exactly one of TASKS_JWT_SECRET (HS256) and TASKS_JWT_JWKS_URL (RS256, ES256...)',
    );
  }
  return compact({
    scheme,
    secret,
    jwksUrl,
    issuer: read.list('TASKS_JWT_ISSUER'),
    audience: read.list('TASKS_JWT_AUDIENCE'),
    ownerClaim: read.string('TASKS_JWT_OWNER_CLAIM'),
    rolesClaim: read.string('TASKS_JWT_ROLES_CLAIM'),
  }) as JwtAuthOptions;
}

/** SigV4's ceiling on the lifetime of a presigned URL: seven days. */
const MAX_PRESIGN_SECONDS = 604_800;
const S3_VARIABLES = [
  'S3_REGION',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_FORCE_PATH_STYLE',
  'S3_PREFIX',
  'S3_PUBLIC_ENDPOINT',
  'S3_MAX_CONCURRENT_UPLOADS',
];

/**
 * `S3_*`: S3 storage when a bucket is named (by `S3_BUCKET`, or by the
 * defaults, which the other variables then complete). Credentials are never
 * echoed, not even in part.
 */
function readS3(read: EnvReader, defaults: S3StorageOptions | undefined): S3StorageOptions | undefined {
  const fromEnv = {
    bucket: read.bucket('S3_BUCKET'),
    region: read.region('S3_REGION'),
    endpoint: read.url('S3_ENDPOINT', ['http:', 'https:']),
    publicEndpoint: read.url('S3_PUBLIC_ENDPOINT', ['http:', 'https:']),
    accessKeyId: read.string('S3_ACCESS_KEY_ID'),
    secretAccessKey: read.string('S3_SECRET_ACCESS_KEY'),
    forcePathStyle: read.flag('S3_FORCE_PATH_STYLE'),
    prefix: read.keyPrefix('S3_PREFIX'),
    maxConcurrentUploads: read.integer('S3_MAX_CONCURRENT_UPLOADS', 1),
  };
  const merged = compact(fromEnv, defaults) as Partial<S3StorageOptions>;
  if (!merged.bucket) {
    const orphans = S3_VARIABLES.filter((name) => read.string(name) !== undefined);
    if (orphans.length > 0 && read.string('S3_BUCKET') === undefined) {
      read.problems.push(
        `${orphans.join(', ')} ${orphans.length > 1 ? 'are' : 'is'} set but S3_BUCKET is not: ` +
          'storage is S3 only when S3_BUCKET names the bucket',
      );
    }
    return undefined;
  }
  if (Boolean(merged.accessKeyId) !== Boolean(merged.secretAccessKey)) {
    read.problems.push(
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (or neither, for the AWS chain)',
    );
  }
  return { region: 'us-east-1', ...merged, bucket: merged.bucket };
}

/** `DASHBOARD=false` turns it off; `DASHBOARD_PATH` moves it (the path itself is checked with the other options). */
function readDashboard(
  read: EnvReader,
  defaults: TaskModuleOptions['dashboard'],
): TaskModuleOptions['dashboard'] | undefined {
  const on = read.flag('DASHBOARD');
  const path = read.string('DASHBOARD_PATH');
  if (on === false) {
    if (path !== undefined) read.problems.push('DASHBOARD_PATH is set but DASHBOARD=false turns the dashboard off');
    return false;
  }
  if (path === undefined) return on && defaults === false ? true : defaults;
  if (normalizeDashboardPath(path) === null)
    read.problems.push(`DASHBOARD_PATH=${JSON.stringify(path)} ${DASHBOARD_PATH_RULE}`);
  return { ...(typeof defaults === 'object' ? defaults : {}), path };
}

/** Drops undefined fields, so that absent variables leave the defaults (or the library's) in place. */
function compact<T extends object>(value: T, base?: object): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}

const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** Comma-separated values: undefined when none. */
  list(name: string): string[] | undefined {
    const values = this.string(name)
      ?.split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    return values && values.length > 0 ? values : undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = raw.toLowerCase() as T;
    if (allowed.includes(value)) return value;
    this.fail(name, raw, `must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    return undefined;
  }

  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
    const expectation =
      max < Number.MAX_SAFE_INTEGER
        ? `must be an integer from ${min} to ${max}`
        : min === 0
          ? 'must be an integer >= 0'
          : `must be an integer >= ${min}`;
    this.fail(name, raw, expectation);
    return undefined;
  }

  /** An S3 bucket name (lenient: the rules of old us-east-1 buckets). */
  bucket(name: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined || /^[a-z0-9][a-z0-9._-]{2,254}$/i.test(raw)) return raw;
    this.fail(name, raw, 'must be a bucket name: 3 or more letters, digits, dots, hyphens or underscores');
    return undefined;
  }

  region(name: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined || /^[a-z0-9-]{1,64}$/i.test(raw)) return raw;
    this.fail(name, raw, 'must be a region name such as us-east-1');
    return undefined;
  }

  /** A prefix of object keys: a relative path, as the storage's keys are. */
  keyPrefix(name: string): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    try {
      return new ObjectKeys(raw).root || undefined;
    } catch (error) {
      this.fail(name, raw, `must be a relative key prefix (${(error as InvalidObjectKeyError).reason})`);
      return undefined;
    }
  }

  byteSize(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
    const factor = match ? UNITS[match[2].toLowerCase() || 'b'] : undefined;
    const value = match && factor ? Math.floor(Number(match[1]) * factor) : NaN;
    if (Number.isSafeInteger(value) && value >= 1) return value;
    this.fail(name, raw, 'must be a positive size in bytes, optionally with a unit (e.g. 1048576, 500MB, 2GiB)');
    return undefined;
  }

  /** `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off` (any case). */
  flag(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.fail(name, raw, 'must be 1/true or 0/false');
    return undefined;
  }

  /** A secret: never echoed in a message. */
  secret(name: string, minLength: number): string | undefined {
    const value = this.string(name);
    if (value === undefined || value.length >= minLength) return value;
    this.problems.push(`${name} must be at least ${minLength} characters`);
    return undefined;
  }

  databaseUrl(name: string): string | undefined {
    return this.url(name, ['postgres:', 'postgresql:']);
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let protocol: string | undefined;
    try {
      protocol = new URL(raw).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol && protocols.includes(protocol)) return raw;
    // The URL may carry a password: never echo it.
    this.problems.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
    return undefined;
  }

  private fail(name: string, raw: string, expectation: string): void {
    const shown = raw.length > 40 ? `${raw.slice(0, 40)}...` : raw;
    this.problems.push(`${name}=${JSON.stringify(shown)} ${expectation}`);
  }
}

/**
 * `TASKS_METRICS`, for `TaskModule`'s `metrics`: unset, `0` or `false`: off;
 * `1` or `true`: `GET /metrics` on the app's server; a port number: a
 * listener of its own (what a worker needs).
 * @throws ConfigError for any other value.
 */
export function metricsFromEnv(env: Env = process.env): boolean | MetricsOptions {
  const raw = env.TASKS_METRICS?.trim().toLowerCase();
  if (!raw || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  const port = Number(raw);
  if (Number.isInteger(port) && port > 0 && port < 65536) return { port };
  throw new ConfigError([`TASKS_METRICS=${JSON.stringify(raw.slice(0, 40))} must be true, false or a port number`]);
}
