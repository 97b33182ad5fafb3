import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';
import { HOSTILE_ENV, describeHostileBarrage } from '../support/hostile/barrage';

/**
 * The hostile-input barrage (test/support/hostile/) against the built api
 * in embedded mode, one process for all of it: JSON bodies, ids and paths,
 * query strings, headers, multipart, tus, Socket.IO, SSE and slow clients.
 * No 5xx, no crash (the app is a child process: a crash is a dead process),
 * no hang, nothing left on disk. The same table runs on PostgreSQL in
 * test/distributed/hostile-input.postgres.spec.ts.
 */
describe('hostile input against the running app (embedded)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-hostile-'));
  let port = 0;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    port = await freePort();
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, {
      ...HOSTILE_ENV,
      PORT: String(port),
      DATA_DIR: dataDir,
      TASKS_MODE: 'embedded',
    });
    await app.start(async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok);
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describeHostileBarrage(() => ({
    port,
    dataDir,
    idleTimeoutMs: Number(HOSTILE_ENV.HTTP_IDLE_TIMEOUT_MS),
    alive: () => app?.running ?? false,
    output: () => app?.output.join('') ?? '',
  }));
});
