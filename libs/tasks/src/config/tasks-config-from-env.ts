import type { TaskMode, TaskModuleOptions, TaskRole } from '../nest/task-module-options';

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
 * | `UPLOAD_MAX_FILE_SIZE` | `uploads.maxFileSize` | bytes, or with a unit: `500MB`, `2GiB`, `64k` |
 * | `UPLOAD_MAX_FILES` | `uploads.maxFiles` | positive integer |
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
    },
    defaults.engine,
  );
  const uploads = compact(
    {
      maxFileSize: read.byteSize('UPLOAD_MAX_FILE_SIZE'),
      maxFiles: read.integer('UPLOAD_MAX_FILES', 1),
    },
    defaults.uploads,
  );
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
  });
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

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = raw.toLowerCase() as T;
    if (allowed.includes(value)) return value;
    this.fail(name, raw, `must be ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    return undefined;
  }

  integer(name: string, min: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isSafeInteger(value) && value >= min) return value;
    this.fail(name, raw, min === 0 ? 'must be an integer >= 0' : `must be an integer >= ${min}`);
    return undefined;
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
