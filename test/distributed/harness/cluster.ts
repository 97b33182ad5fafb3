import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppProcess, freePort } from '../../support/api-process';
import { buildOnce } from '../../support/build';
import { findBinary } from './binaries';
import { PostgresServer } from './postgres-server';
import { RedisServer } from './redis-server';

/**
 * A whole distributed deployment for tests: a real PostgreSQL and Redis
 * (harness servers on free loopback ports), the built api (or several api
 * instances, `apis`) and N workers as real child processes sharing one
 * DATA_DIR, with timings short enough for tests. Everything it starts, `stop()` ends, whatever state it is in.
 */

/** Engine timings of the test cluster; a spec may override any of them. */
export const TEST_TIMINGS: Readonly<Record<string, string>> = {
  TASKS_LEASE_MS: '2000',
  TASKS_SWEEP_INTERVAL_MS: '300',
  TASKS_PENDING_GRACE_MS: '1000',
  TASKS_SHUTDOWN_GRACE_MS: '500',
  TASKS_CONCURRENCY: '8',
};

export interface ClusterOptions {
  /** Number of worker processes (default 1). */
  workers?: number;
  /**
   * Number of API instances (default 1), each its own process on its own
   * port, all on the same database and Redis. Instance 0 is the one
   * `url()`, `fetch()`, `submit()`... address; see {@link Cluster.apiUrl}.
   */
  apis?: number;
  /** Environment of every process, over {@link TEST_TIMINGS}. */
  env?: Record<string, string>;
  /**
   * What worker `index` gets on top of `env` (its own variables, node
   * options), at boot and at every restart by {@link Cluster.startWorker}
   * that is not given its own. E.g. `(i) => (i === 1 ? skewedClock(60_000) : {})`.
   */
  worker?: (index: number) => WorkerOptions;
}

/** What one worker process gets on top of the cluster's environment. */
export interface WorkerOptions {
  /** Variables of this worker only, over the cluster's `env`. */
  env?: Record<string, string>;
  /** Node options of this worker (`NODE_OPTIONS`, after any the test process has), e.g. `['--require', file]`. */
  nodeOptions?: string[];
}

/** The preload that shifts `Date` in a worker: see skewed-clock.cjs. */
export const SKEWED_CLOCK_PRELOAD = join(__dirname, 'skewed-clock.cjs');

/**
 * A worker whose wall clock (`Date.now()`, `new Date()`) runs `skewMs` ahead
 * (behind when negative) of every other process; its timers and
 * `performance.now()` are untouched. The worker prints a `skewed-clock:` line
 * at start with the skew it measured.
 */
export function skewedClock(skewMs: number): WorkerOptions {
  return { env: { SKEW_MS: String(skewMs) }, nodeOptions: ['--require', SKEWED_CLOCK_PRELOAD] };
}

export interface StepView {
  name: string;
  on: 'api' | 'worker';
  status: string;
  attempts: number;
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: { name: string; message: string; code?: string; step?: string } | null;
}

export interface TaskView {
  id: string;
  type: string;
  status: string;
  progress: number;
  message: string | null;
  steps: StepView[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { name: string; message: string; code?: string; step?: string } | null;
}

/** A row of `stepwise_task_events`, as read straight from PostgreSQL. */
export interface EventRow {
  seq: number;
  taskId: string;
  type: string;
  status: string;
  progress: number;
  step: string | null;
  stepStatus: string | null;
  message: string | null;
  at: number;
}

/** A claim recorded by the test trigger (see {@link Cluster.claims}). */
export interface ClaimRow {
  taskId: string;
  owner: string;
  /** The claimant's pid, from the owner id. */
  pid: number;
  /** The placement the task was claimed for (the lane of its next step). */
  placement: string;
  status: string;
  at: number;
}

/** The lease columns of `stepwise_tasks`. */
export interface LeaseRow {
  status: string;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  version: number;
}

export const TERMINAL = ['completed', 'failed', 'cancelled'];

const ROOT = join(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 40_000;
const TAIL_LINES = 60;

export class Cluster {
  readonly postgres = new PostgresServer();
  readonly redis = new RedisServer();
  readonly dataDir = mkdtempSync(join(tmpdir(), 'stepwise-cluster-'));
  /** Port of each API instance, by index (0 is the first instance). */
  readonly apiPorts: number[] = [];
  /** API processes by index; a restart replaces the entry (old outputs are kept in `retired`). */
  readonly apis: Array<AppProcess | undefined> = [];
  /** Worker processes by index; a restart replaces the entry (old outputs are kept in `retired`). */
  readonly workers: Array<AppProcess | undefined> = [];
  private readonly retired: Array<{ name: string; app: AppProcess }> = [];
  /** Direct SQL on the cluster's database (TypeORM's pg pool: it survives the server going away). */
  private db: DataSource | undefined;
  /** This cluster's copy of dist/, relative to the repository root (see {@link snapshotDist}). */
  private dist = '';
  private readonly env: Record<string, string>;

  constructor(private readonly options: ClusterOptions = {}) {
    this.env = { ...TEST_TIMINGS, ...options.env };
    const apis = options.apis ?? 1;
    if (!Number.isInteger(apis) || apis < 1) throw new Error(`Cluster: apis must be a positive integer (got ${apis})`);
  }

  /** Port of the first API instance (0 before `start()`). */
  get apiPort(): number {
    return this.apiPorts[0] ?? 0;
  }

  /** The first API instance's process. */
  get api(): AppProcess | undefined {
    return this.apis[0];
  }

  private booting: Promise<void> | undefined;
  private stopped = false;

  /**
   * Starts everything. On failure the error carries the processes' outputs;
   * `stop()` (in afterAll) cleans up whatever was started, even when the
   * start is still under way (a beforeAll that timed out).
   */
  async start(): Promise<this> {
    this.booting = this.boot();
    try {
      await this.booting;
      return this;
    } catch (error) {
      throw appendToError(error, this.tails());
    }
  }

  private async boot(): Promise<void> {
    const step = <T>(value: T): T => {
      if (this.stopped) throw new Error('cluster stopped while starting');
      return value;
    };
    findBinary('redis-cli', 'Install Redis (Debian: apt-get install -y redis-server).');
    this.dist = snapshotDist(buildOnce());
    step(await Promise.all([this.postgres.start(), this.redis.start()]));
    this.db = step(
      await new DataSource({
        type: 'postgres',
        url: this.postgres.url,
        connectTimeoutMS: 3_000,
        extra: { max: 4 },
      }).initialize(),
    );
    const apis = this.options.apis ?? 1;
    for (let i = 0; i < apis; i++) this.apiPorts[i] = step(await freePort());
    // The first api alone: it runs the migrations (the others would wait on the advisory lock anyway).
    step(await this.startApi(0));
    step(await this.installClaimLog());
    const count = this.options.workers ?? 1;
    await Promise.all([
      ...Array.from({ length: apis - 1 }, (_, i) => this.startApi(i + 1)),
      ...Array.from({ length: count }, (_, i) => this.startWorker(i)),
    ]);
  }

  /** Kills every process, stops the servers, removes the temp dirs. Never throws; safe in any state. */
  async stop(): Promise<void> {
    this.stopped = true;
    const killAll = () =>
      Promise.all(
        [...this.apis, ...this.workers, ...this.retired.map((r) => r.app)]
          .filter((a): a is AppProcess => a !== undefined)
          .map((app) => app.kill('SIGKILL').catch(() => undefined)),
      );
    await killAll();
    // A start still under way ends quickly once its processes are dead; then nothing new is spawned.
    await this.booting?.catch(() => undefined);
    await killAll();
    await this.db?.destroy().catch(() => undefined);
    this.db = undefined;
    await this.redis.stop().catch(() => undefined);
    await this.postgres.stop().catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.dist) rmSync(join(ROOT, this.dist), { recursive: true, force: true });
  }

  // ---- processes -------------------------------------------------------------------------

  /** Base URL of the first API instance. */
  get baseUrl(): string {
    return this.apiBaseUrl(0);
  }

  /** Base URL of API instance `index` (`http://127.0.0.1:<port>`). */
  apiBaseUrl(index: number): string {
    const port = this.apiPorts[index];
    if (port === undefined) throw new Error(`no api instance ${index} (the cluster has ${this.apiPorts.length})`);
    return `http://127.0.0.1:${port}`;
  }

  private commonEnv(): Record<string, string> {
    return {
      NO_COLOR: '1',
      TASKS_MODE: 'distributed',
      DATABASE_URL: this.postgres.url,
      REDIS_URL: this.redis.url,
      DATA_DIR: this.dataDir,
      ...this.env,
    };
  }

  /** Starts (or restarts) API instance `index` (default the first) on its port; resolves once it answers. */
  async startApi(index = 0): Promise<void> {
    if (this.stopped) throw new Error('cluster stopped');
    const port = this.apiPorts[index];
    if (port === undefined) throw new Error(`no api instance ${index} (the cluster has ${this.apiPorts.length})`);
    const previous = this.apis[index];
    if (previous) this.retired.push({ name: apiName(index), app: previous });
    const api = new AppProcess(`${this.dist}/apps/api/src/main.js`, {
      ...this.commonEnv(),
      PORT: String(port),
    });
    this.apis[index] = api;
    // Listening and serving its routes: a 401 is the answer of an api under TASKS_AUTH.
    const answers = async () => {
      const res = await fetch(this.apiUrl(index, '/tasks?limit=1'));
      return res.ok || res.status === 401;
    };
    await api.start(answers, START_TIMEOUT_MS);
  }

  /**
   * Starts (or restarts) worker `index`; resolves once it consumes its queues.
   * `options` default to the cluster's {@link ClusterOptions.worker} for that index.
   */
  async startWorker(index: number, options: WorkerOptions = this.options.worker?.(index) ?? {}): Promise<AppProcess> {
    if (this.stopped) throw new Error('cluster stopped');
    const previous = this.workers[index];
    if (previous) {
      if (isAlive(previous)) throw new Error(`worker ${index} (pid ${previous.pid}) is still running`);
      this.retired.push({ name: `worker ${index} (pid ${previous.pid})`, app: previous });
    }
    const worker = new AppProcess(`${this.dist}/apps/worker/src/main.js`, {
      ...this.commonEnv(),
      TASKS_ROLE: 'worker',
      ...options.env,
      ...(options.nodeOptions?.length ? { NODE_OPTIONS: nodeOptions(options.nodeOptions) } : {}),
    });
    this.workers[index] = worker;
    // The worker logs this once TaskModule has started consuming (onApplicationBootstrap is done).
    await worker.start(async () => worker.output.join('').includes('worker started'), START_TIMEOUT_MS);
    return worker;
  }

  /**
   * Sends `signal` to worker `index` and waits for its exit (bounded: SIGKILL
   * after `timeoutMs`). `code` is null when the process died of a signal.
   */
  async killWorker(
    index: number,
    signal: NodeJS.Signals = 'SIGKILL',
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
    const worker = this.workers[index];
    if (!worker) throw new Error(`no worker ${index}`);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([worker.kill(signal), timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await worker.kill('SIGKILL');
      return { code: null, ms: Date.now() - started, timedOut: true };
    }
    return { code: result, ms: Date.now() - started, timedOut: false };
  }

  /** The worker whose lease-owner id (`host:pid:rand`) is `owner`, or -1. */
  workerIndexOf(owner: string | null): number {
    if (!owner) return -1;
    const pid = owner.split(':').at(-2);
    return this.workers.findIndex((w) => w !== undefined && String(w.pid) === pid);
  }

  /** Lease-owner ids contain the pid: `host:pid:rand`. */
  static ownerPid(owner: string | null): number | null {
    const pid = owner?.split(':').at(-2);
    return pid ? Number(pid) : null;
  }

  /** Processes of the cluster that should be running but are not. */
  deadProcesses(): string[] {
    const dead: string[] = [];
    this.apis.forEach((a, i) => {
      if (a && !isAlive(a)) dead.push(apiName(i));
    });
    this.workers.forEach((w, i) => {
      if (w && !isAlive(w)) dead.push(`worker ${i}`);
    });
    return dead;
  }

  // ---- servers ---------------------------------------------------------------------------

  flushRedis(): void {
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.redis.port), 'FLUSHALL'], { stdio: 'pipe' });
  }

  stopPostgres(): void {
    this.postgres.stopServer();
  }

  startPostgres(): void {
    this.postgres.startServer();
  }

  // ---- HTTP ------------------------------------------------------------------------------

  /** URL of `path` on the first API instance. */
  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** URL of `path` on API instance `index` (0 is the instance `url()` addresses). */
  apiUrl(index: number, path = ''): string {
    return `${this.apiBaseUrl(index)}${path}`;
  }

  /** `fetch` of `path` on API instance `index`, with the same default timeout as {@link fetch}. */
  fetchFrom(index: number, path: string, init?: RequestInit): Promise<Response> {
    return fetch(this.apiUrl(index, path), { ...init, signal: init?.signal ?? AbortSignal.timeout(15_000) });
  }

  fetch(path: string, init?: RequestInit): Promise<Response> {
    return fetch(this.url(path), { ...init, signal: init?.signal ?? AbortSignal.timeout(15_000) });
  }

  /** `POST /tasks/{type}` with a JSON body; expects 202. */
  async submit(type: string, input: unknown): Promise<TaskView> {
    const res = await this.fetch(`/tasks/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    if (res.status !== 202) throw new Error(`submit ${type}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as TaskView;
  }

  /** `POST /tasks/{type}` as multipart: each file a part named `files`, then the fields. */
  async submitFiles(
    type: string,
    files: Array<{ name: string; content: Buffer }>,
    fields: Record<string, string> = {},
  ): Promise<TaskView> {
    const form = new FormData();
    for (const file of files) form.append('files', new Blob([new Uint8Array(file.content)]), file.name);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    const res = await this.fetch(`/tasks/${type}`, { method: 'POST', body: form });
    if (res.status !== 202) throw new Error(`submit ${type}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as TaskView;
  }

  async get(id: string): Promise<TaskView> {
    const res = await this.fetch(`/tasks/${id}`);
    if (res.status !== 200) throw new Error(`GET /tasks/${id}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as TaskView;
  }

  /** Polls `GET /tasks/{id}` until its status is one of `statuses`. */
  async waitForStatus(id: string, statuses: string | string[], timeoutMs = 20_000): Promise<TaskView> {
    const wanted = Array.isArray(statuses) ? statuses : [statuses];
    let last: TaskView | undefined;
    await waitFor(
      async () => {
        last = await this.get(id);
        return wanted.includes(last.status);
      },
      { timeoutMs, what: () => `task ${id} to be ${wanted.join('|')} (last: ${JSON.stringify(last)})` },
    );
    return last!;
  }

  // ---- PostgreSQL, read directly ---------------------------------------------------------

  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    if (!this.db) throw new Error('cluster not started');
    return (await this.db.query(text, params)) as T[];
  }

  /** How many tasks are in each status, from the database. */
  async countsByStatus(): Promise<Record<string, number>> {
    const rows = await this.sql<{ status: string; n: string }>(
      'SELECT status, count(*) AS n FROM stepwise_tasks GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** The event log (`stepwise_task_events`), oldest first; one task's, or all. */
  async events(taskId?: string): Promise<EventRow[]> {
    const rows = await this.sql<Record<string, unknown>>(
      `SELECT id, task_id, type, status, progress, step, step_status, message, at
         FROM stepwise_task_events ${taskId ? 'WHERE task_id = $1' : ''} ORDER BY id`,
      taskId ? [taskId] : [],
    );
    return rows.map((r) => ({
      seq: Number(r.id),
      taskId: String(r.task_id),
      type: String(r.type),
      status: String(r.status),
      progress: Number(r.progress),
      step: (r.step as string | null) ?? null,
      stepStatus: (r.step_status as string | null) ?? null,
      message: (r.message as string | null) ?? null,
      at: Number(r.at),
    }));
  }

  /**
   * Records every claim (the lease owner changing to a new process) in
   * `test_claims`, by a trigger: who ran which placement of a task, and when,
   * without racing the run with polls. Test-only; the library never reads it.
   */
  private async installClaimLog(): Promise<void> {
    await this.sql(`
      CREATE TABLE test_claims (
        id bigserial PRIMARY KEY,
        task_id varchar NOT NULL,
        owner varchar NOT NULL,
        placement varchar NOT NULL,
        status varchar NOT NULL,
        at bigint NOT NULL
      )`);
    await this.sql(`
      CREATE FUNCTION test_record_claim() RETURNS trigger AS $$
      BEGIN
        INSERT INTO test_claims (task_id, owner, placement, status, at)
        VALUES (NEW.id, NEW.lease_owner, NEW.placement, NEW.status,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
        RETURN NULL;
      END $$ LANGUAGE plpgsql`);
    await this.sql(`
      CREATE TRIGGER test_claims AFTER UPDATE ON stepwise_tasks FOR EACH ROW
      WHEN (NEW.lease_owner IS NOT NULL AND NEW.lease_owner IS DISTINCT FROM OLD.lease_owner)
      EXECUTE FUNCTION test_record_claim()`);
  }

  /** The claims of a task (or all), oldest first: `owner` is `host:pid:rand`. */
  async claims(taskId?: string): Promise<ClaimRow[]> {
    const rows = await this.sql<Record<string, unknown>>(
      `SELECT task_id, owner, placement, status, at FROM test_claims ${taskId ? 'WHERE task_id = $1' : ''} ORDER BY id`,
      taskId ? [taskId] : [],
    );
    return rows.map((r) => ({
      taskId: String(r.task_id),
      owner: String(r.owner),
      pid: Number(String(r.owner).split(':').at(-2)),
      placement: String(r.placement),
      status: String(r.status),
      at: Number(r.at),
    }));
  }

  async lease(taskId: string): Promise<LeaseRow | null> {
    const [row] = await this.sql<Record<string, unknown>>(
      'SELECT status, lease_owner, lease_expires_at, version FROM stepwise_tasks WHERE id = $1',
      [taskId],
    );
    if (!row) return null;
    return {
      status: String(row.status),
      leaseOwner: (row.lease_owner as string | null) ?? null,
      leaseExpiresAt: row.lease_expires_at === null ? null : Number(row.lease_expires_at),
      version: Number(row.version),
    };
  }

  // ---- diagnostics -----------------------------------------------------------------------

  /** The last lines of every process's output (current and retired), for failure messages. */
  tails(lines = TAIL_LINES): string {
    const parts: string[] = [];
    const add = (name: string, app: AppProcess | undefined) => {
      if (!app) return;
      const text = stripAnsi(app.output.join('')).trimEnd().split('\n').slice(-lines).join('\n');
      parts.push(`----- ${name} (pid ${app.pid}, ${isAlive(app) ? 'running' : 'exited'}) -----\n${text}`);
    };
    for (const { name, app } of this.retired) add(`${name}, retired`, app);
    this.apis.forEach((a, i) => add(apiName(i), a));
    this.workers.forEach((w, i) => add(`worker ${i}`, w));
    return parts.join('\n');
  }

  /** Every output line of the given process (ANSI stripped). */
  static lines(app: AppProcess | undefined): string[] {
    return app ? stripAnsi(app.output.join('')).split('\n') : [];
  }

  /**
   * Wraps a test body: when it fails, the error message gets the tails of the
   * processes' outputs (what each process logged is the best diagnosis).
   */
  diagnose(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await body();
      } catch (error) {
        throw appendToError(error, this.tails());
      }
    };
  }
}

/**
 * A private copy of this process's build under tmp/ (inside the repository,
 * so that packages still resolve from its node_modules): each cluster owns
 * its copy and removes it at stop.
 */
function snapshotDist(build: string): string {
  const relative = `tmp/distributed-dist-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  cpSync(join(ROOT, build), join(ROOT, relative), { recursive: true });
  if (!existsSync(join(ROOT, relative, 'apps/worker/src/main.js'))) throw new Error(`${build} has no worker app`);
  return relative;
}

/** `NODE_OPTIONS` with `extra` after what the test process has; each quoted, paths may hold spaces. */
function nodeOptions(extra: string[]): string {
  const quoted = extra.map((arg) => `"${arg.replace(/["\\]/g, '\\$&')}"`);
  return [process.env.NODE_OPTIONS, ...quoted].filter(Boolean).join(' ');
}

/** `api` for the first instance (as before there were several), `api <index>` for the others. */
function apiName(index: number): string {
  return index === 0 ? 'api' : `api ${index}`;
}

export function isAlive(app: AppProcess): boolean {
  if (app.pid === undefined) return false;
  try {
    process.kill(app.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it is true; fails with `what` after `timeoutMs`. Errors in `check` count as false. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  {
    timeoutMs = 20_000,
    intervalMs = 50,
    what = () => 'condition',
  }: {
    timeoutMs?: number;
    intervalMs?: number;
    what?: () => string;
  } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError ? ` (last error: ${String(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

function appendToError(error: unknown, text: string): unknown {
  if (error instanceof Error) {
    error.message = `${error.message}\n\nProcess output (tails):\n${text}`;
    return error;
  }
  return new Error(`${String(error)}\n\nProcess output (tails):\n${text}`);
}
