import { ConfigError, metricsFromEnv, taskModuleOptionsFromEnv } from './tasks-config-from-env';

describe('taskModuleOptionsFromEnv', () => {
  it('returns no option at all for an empty environment (library defaults apply)', () => {
    expect(taskModuleOptionsFromEnv({})).toEqual({});
  });

  it('treats empty and blank variables as unset', () => {
    expect(taskModuleOptionsFromEnv({ TASKS_MODE: '', TASKS_CONCURRENCY: '  ', DATA_DIR: '' })).toEqual({});
  });

  it('reads every supported variable', () => {
    const options = taskModuleOptionsFromEnv({
      TASKS_MODE: 'distributed',
      TASKS_ROLE: 'worker',
      DATA_DIR: '/var/lib/stepwise',
      DATABASE_URL: 'postgres://u:p@db:5432/stepwise',
      REDIS_URL: 'redis://redis:6379/0',
      TASKS_LEASE_MS: '1500',
      TASKS_CONCURRENCY: '8',
      TASKS_SWEEP_INTERVAL_MS: '200',
      TASKS_SHUTDOWN_GRACE_MS: '0',
      TASKS_SCHEDULE_INTERVAL_MS: '0',
      UPLOAD_MAX_FILE_SIZE: '1048576',
      UPLOAD_MAX_FILES: '5',
    });
    expect(options).toEqual({
      mode: 'distributed',
      role: 'worker',
      dataDir: '/var/lib/stepwise',
      databaseUrl: 'postgres://u:p@db:5432/stepwise',
      redisUrl: 'redis://redis:6379/0',
      engine: { leaseMs: 1500, concurrency: 8, sweepIntervalMs: 200, shutdownGraceMs: 0, scheduleIntervalMs: 0 },
      uploads: { maxFileSize: 1048576, maxFiles: 5 },
    });
  });

  it('requires a redis:// REDIS_URL in distributed mode', () => {
    const base = { TASKS_MODE: 'distributed', DATABASE_URL: 'postgres://db/stepwise' };
    expect(() => taskModuleOptionsFromEnv(base)).toThrow(/needs REDIS_URL/);
    expect(() => taskModuleOptionsFromEnv({ ...base, REDIS_URL: 'http://secret@redis' })).toThrow(
      /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });

  it('accepts modes and roles case-insensitively, with surrounding blanks', () => {
    expect(taskModuleOptionsFromEnv({ TASKS_MODE: ' Embedded ', TASKS_ROLE: 'ALL' })).toEqual({
      mode: 'embedded',
      role: 'all',
    });
  });

  it.each([
    ['TASKS_MODE', 'cluster', /TASKS_MODE="cluster" must be "embedded" or "distributed"/],
    ['TASKS_ROLE', 'both', /TASKS_ROLE="both" must be "api" or "worker" or "all"/],
    ['TASKS_LEASE_MS', 'abc', /TASKS_LEASE_MS="abc" must be an integer >= 1/],
    ['TASKS_LEASE_MS', '0', /TASKS_LEASE_MS="0" must be an integer >= 1/],
    ['TASKS_CONCURRENCY', '2.5', /TASKS_CONCURRENCY="2.5"/],
    ['TASKS_CONCURRENCY', '-1', /TASKS_CONCURRENCY="-1"/],
    ['TASKS_SWEEP_INTERVAL_MS', '1e3', /TASKS_SWEEP_INTERVAL_MS="1e3"/],
    ['TASKS_SHUTDOWN_GRACE_MS', '10s', /TASKS_SHUTDOWN_GRACE_MS="10s" must be an integer >= 0/],
    ['TASKS_SCHEDULE_INTERVAL_MS', '-5', /TASKS_SCHEDULE_INTERVAL_MS="-5" must be an integer >= 0/],
    ['UPLOAD_MAX_FILES', '0x10', /UPLOAD_MAX_FILES="0x10"/],
    ['UPLOAD_MAX_FILE_SIZE', 'lots', /UPLOAD_MAX_FILE_SIZE="lots" must be a positive size/],
    ['UPLOAD_MAX_FILE_SIZE', '5 parsecs', /UPLOAD_MAX_FILE_SIZE="5 parsecs"/],
    ['UPLOAD_MAX_FILE_SIZE', '0', /UPLOAD_MAX_FILE_SIZE="0"/],
    ['TASKS_CONCURRENCY', '99999999999999999999', /TASKS_CONCURRENCY=/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    const run = () => taskModuleOptionsFromEnv({ [name]: value });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('reads sizes with units', () => {
    const size = (v: string) => taskModuleOptionsFromEnv({ UPLOAD_MAX_FILE_SIZE: v }).uploads?.maxFileSize;
    expect(size('64k')).toBe(64 * 1024);
    expect(size('500MB')).toBe(500_000_000);
    expect(size('2GiB')).toBe(2 * 1024 ** 3);
    expect(size('1.5 g')).toBe(1.5 * 1024 ** 3);
  });

  it('lists every problem in one single-line message', () => {
    try {
      taskModuleOptionsFromEnv({ TASKS_MODE: 'x', TASKS_CONCURRENCY: 'y' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { message, problems } = error as ConfigError;
      expect(problems).toHaveLength(2);
      expect(message).toMatch(/^Invalid configuration: TASKS_MODE="x" .*; TASKS_CONCURRENCY="y" /);
      expect(message).not.toContain('\n');
    }
  });

  it('reads HTTP_IDLE_TIMEOUT_MS (0 leaves the server alone) and refuses what is not an integer >= 0', () => {
    expect(taskModuleOptionsFromEnv({ HTTP_IDLE_TIMEOUT_MS: '120000' }).http).toEqual({ idleTimeoutMs: 120_000 });
    expect(taskModuleOptionsFromEnv({ HTTP_IDLE_TIMEOUT_MS: '0' }).http).toEqual({ idleTimeoutMs: 0 });
    expect(taskModuleOptionsFromEnv({}).http).toBeUndefined();
    for (const bad of ['-1', '1.5', 'soon']) {
      expect(() => taskModuleOptionsFromEnv({ HTTP_IDLE_TIMEOUT_MS: bad })).toThrow(/HTTP_IDLE_TIMEOUT_MS/);
    }
  });

  it('requires a PostgreSQL DATABASE_URL in distributed mode', () => {
    expect(() => taskModuleOptionsFromEnv({ TASKS_MODE: 'distributed' })).toThrow(/distributed needs DATABASE_URL/);
  });

  it('refuses a DATABASE_URL that is not PostgreSQL, without echoing it (it may hold a password)', () => {
    const run = () => taskModuleOptionsFromEnv({ DATABASE_URL: 'mysql://root:s3cret@db/x' });
    expect(run).toThrow(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(run).not.toThrow(/s3cret/);
    expect(() => taskModuleOptionsFromEnv({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(taskModuleOptionsFromEnv({ DATABASE_URL: 'postgresql://db/x' }).databaseUrl).toBe('postgresql://db/x');
  });

  it('fills what the environment leaves unset from the defaults, and lets the environment win', () => {
    expect(taskModuleOptionsFromEnv({}, { role: 'worker', engine: { concurrency: 2 } })).toEqual({
      role: 'worker',
      engine: { concurrency: 2 },
    });
    expect(
      taskModuleOptionsFromEnv(
        { TASKS_ROLE: 'all', TASKS_LEASE_MS: '900' },
        { role: 'worker', engine: { concurrency: 2 } },
      ),
    ).toEqual({ role: 'all', engine: { concurrency: 2, leaseMs: 900 } });
  });

  it('reads process.env by default', () => {
    const saved = process.env.TASKS_CONCURRENCY;
    process.env.TASKS_CONCURRENCY = '3';
    try {
      expect(taskModuleOptionsFromEnv().engine?.concurrency).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.TASKS_CONCURRENCY;
      else process.env.TASKS_CONCURRENCY = saved;
    }
  });

  it("keeps an app's resumable-uploads default through other upload variables, and UPLOAD_RESUMABLE=false wins", () => {
    const defaults = { uploads: { resumable: true } };
    expect(taskModuleOptionsFromEnv({}, defaults).uploads).toEqual({ resumable: true });
    expect(taskModuleOptionsFromEnv({ UPLOAD_MAX_FILE_SIZE: '1MB' }, defaults).uploads).toEqual({
      maxFileSize: 1_000_000,
      resumable: true,
    });
    expect(taskModuleOptionsFromEnv({ UPLOAD_EXPIRE_AFTER_MS: '5000' }, defaults).uploads).toEqual({
      resumable: { expireAfterMs: 5000 },
    });
    expect(taskModuleOptionsFromEnv({ UPLOAD_RESUMABLE: 'false' }, defaults).uploads).toEqual({ resumable: false });
  });

  it("moves the dashboard with DASHBOARD_PATH and turns it off with DASHBOARD=false, over the app's default", () => {
    const app = { dashboard: { path: '/' } };
    expect(taskModuleOptionsFromEnv({}, app).dashboard).toEqual({ path: '/' });
    expect(taskModuleOptionsFromEnv({}).dashboard).toBeUndefined();
    expect(taskModuleOptionsFromEnv({ DASHBOARD_PATH: '/ops/tasks' }, app).dashboard).toEqual({ path: '/ops/tasks' });
    expect(taskModuleOptionsFromEnv({ DASHBOARD: 'false' }, app).dashboard).toBe(false);
    expect(taskModuleOptionsFromEnv({ DASHBOARD: 'true' }, { dashboard: false }).dashboard).toBe(true);
    expect(taskModuleOptionsFromEnv({ DASHBOARD: 'on', DASHBOARD_PATH: '/ui' }).dashboard).toEqual({ path: '/ui' });
    for (const bad of ['ops', '/a b', '/x/../y', '/:id']) {
      expect(() => taskModuleOptionsFromEnv({ DASHBOARD_PATH: bad })).toThrow(/DASHBOARD_PATH/);
    }
    expect(() => taskModuleOptionsFromEnv({ DASHBOARD: 'false', DASHBOARD_PATH: '/ui' })).toThrow(
      /DASHBOARD_PATH is set but DASHBOARD=false/,
    );
  });
});

describe('metricsFromEnv', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['true', true],
    ['1', true],
    ['9464', { port: 9464 }],
  ])('reads TASKS_METRICS=%p', (value, expected) => {
    expect(metricsFromEnv({ TASKS_METRICS: value })).toEqual(expected);
  });

  it.each(['yes', '70000', '-1', '9464.5'])('refuses TASKS_METRICS=%p naming the variable', (value) => {
    expect(() => metricsFromEnv({ TASKS_METRICS: value })).toThrow(
      /TASKS_METRICS=.*must be true, false or a port number/,
    );
  });
});
