import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/**
 * The shipped API with TASKS_AUTH=apikey and its key administration
 * (`npm run apikey`, apps/api/src/apikey.ts) on the same database, as real
 * processes from the build; and the start-up line of an open API.
 */
describe('API keys in the shipped apps', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-apikeys-'));
  const apps: AppProcess[] = [];
  let port: number;
  const env = (extra: Record<string, string> = {}) => ({ PORT: String(port), DATA_DIR: dataDir, ...extra });
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [join(root, buildOnce(), 'apps/api/src/apikey.js'), ...args],
        {
          env: { ...process.env, ...env() },
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const start = async (extra: Record<string, string> = {}) => {
    const app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, env(extra));
    apps.push(app);
    await app.start(async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok);
    return app;
  };
  const stop = async () => {
    await apps.pop()?.kill('SIGTERM');
  };

  beforeAll(async () => {
    port = await freePort();
    buildOnce();
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says at start-up that the API is open when TASKS_AUTH is unset', async () => {
    const app = await start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(app.output.join('')).toMatch(/authentication: none, the API is open/);
    expect((await fetch(`http://127.0.0.1:${port}/tasks`)).status).toBe(200);
    await stop();
  }, 60_000);

  it('creates a key printed once, lists it, and the API takes it until it is revoked', async () => {
    const usage = await cli('create');
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('create needs --owner')]);
    expect((await cli('create', '--owner', ' ', '--json')).stderr).toMatch(/owner must be 1 to 200 characters/);

    const created = await cli('create', '--owner', 'alice', '--roles', 'admin,ops', '--name', 'CI');
    expect(created.code).toBe(0);
    const key = /^(swk_\S+)$/m.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const id = /Created API key ([0-9a-f-]{36})/.exec(created.stdout)?.[1];

    const list = await cli('list', '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ id, owner: 'alice', roles: ['admin', 'ops'], name: 'CI', revokedAt: null }),
    ]);
    expect(list.stdout).not.toContain(key);
    expect((await cli('list')).stdout).toMatch(new RegExp(`${id}\\s+alice\\s+admin,ops\\s+CI\\s+\\S+\\s+active`));

    const app = await start({ TASKS_AUTH: 'apikey' });
    expect(app.output.join('')).toMatch(/authentication: API keys/);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/tasks`)).status).toBe(401);
    expect((await fetch(`${base}/tasks`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${base}/tasks`, { headers: { 'x-api-key': key! } })).status).toBe(200);
    // Liveness stays open for the orchestrator.
    expect((await fetch(`${base}/health/live`)).status).toBe(200);

    expect(await cli('revoke', id!)).toMatchObject({ code: 0, stdout: `Revoked API key ${id}.\n` });
    expect((await fetch(`${base}/tasks`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect(await cli('revoke', id!)).toMatchObject({ code: 1, stderr: expect.stringContaining('no active API key') });
    expect((await cli('list')).stdout).toMatch(/revoked \d{4}-/);
    await stop();
  }, 90_000);

  it('warns at start-up when no key is active', async () => {
    const app = await start({ TASKS_AUTH: 'apikey' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(app.output.join('')).toMatch(/no active API key/);
    await stop();
  }, 60_000);
});
