import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

interface TaskView {
  id: string;
  status: string;
  progress: number;
  steps: Array<{ name: string; status: string; attempts: number }>;
}

/**
 * A crash (kill -9) of the embedded app mid-task loses nothing: after a
 * restart, the interrupted task and the ones still waiting all complete.
 */
describe('embedded app killed with SIGKILL and started again', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-restart-'));
  let port: number;
  let app: AppProcess;
  const base = () => `http://127.0.0.1:${port}`;
  const env = () => ({
    PORT: String(port),
    DATA_DIR: dataDir,
    TASKS_MODE: 'embedded',
    TASKS_LEASE_MS: '1500',
    TASKS_SWEEP_INTERVAL_MS: '200',
    TASKS_CONCURRENCY: '1',
  });
  const startApp = async () => {
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, env());
    await app.start(async () => (await fetch(`${base()}/tasks?limit=1`)).ok);
  };
  const get = async (id: string): Promise<TaskView> =>
    (await fetch(`${base()}/tasks/${id}`)).json() as Promise<TaskView>;

  beforeAll(async () => {
    port = await freePort();
    await startApp();
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the interrupted task and every accepted one', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base()}/tasks/countdown`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ticks: 10, tickMs: 100 }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as TaskView).id);
    }
    // Wait until the first task is visibly mid-way.
    await waitFor(async () => (await get(ids[0])).progress >= 0.2, 15_000);
    expect((await get(ids[0])).status).toBe('running');

    await app.kill('SIGKILL');
    await startApp();

    for (const id of ids) await waitFor(async () => (await get(id)).status === 'completed', 30_000);
    const first = await get(ids[0]);
    // The interrupted attempt is visible: the step ran again after the crash.
    expect(first.steps[0].attempts).toBe(2);
    for (const id of ids.slice(1)) expect((await get(id)).steps[0].attempts).toBe(1);
  }, 90_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
