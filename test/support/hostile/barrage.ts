import { CASES, GROUPS, deleteTask, type Context, type Fixtures, type HostileCase } from './cases';
import { HostileClient, storedFiles, type HostileTarget } from './client';

export type { HostileTarget } from './client';

/**
 * What the app under attack runs with: a short idle timeout, so that stalled
 * clients are let go within the suite's time, and small upload limits, so
 * that exceeding them is cheap.
 */
export const HOSTILE_ENV: Readonly<Record<string, string>> = {
  HTTP_IDLE_TIMEOUT_MS: '1000',
  UPLOAD_MAX_FILE_SIZE: '64k',
  UPLOAD_MAX_FILES: '3',
  NO_COLOR: '1',
};

/** The barrage sends at least this many hostile requests: it cannot shrink silently. */
export const MIN_REQUESTS = 300;

/**
 * Registers the barrage (inside the caller's `describe`, after the
 * `beforeAll` that starts the app): set-up of the fixtures, one test per
 * case of the table, grouped, and a last test that checks the aftermath:
 * the process alive and answering, nothing left on disk, nothing logged at
 * ERROR, and the number of requests sent.
 */
export function describeHostileBarrage(target: () => HostileTarget): void {
  const client = new HostileClient(target);
  let fixtures: Fixtures | undefined;
  let filesBefore: string[] = [];
  const ran = new Set<HostileCase>();
  const context = (): Context => {
    if (!fixtures) throw new Error('the fixtures were not made (see the first error)');
    return { client, fixtures, target: target() };
  };

  beforeAll(async () => {
    fixtures = await makeFixtures(client);
    filesBefore = storedFiles(target().dataDir);
  }, 60_000);

  afterEach(() => client.closeSockets());

  for (const group of GROUPS) {
    describe(group, () => {
      const cases = CASES.filter((c) => c.group === group);
      it.each(cases)('$name', async (hostile) => {
        await hostile.run(context());
        ran.add(hostile);
        expect(target().alive()).toBe(true);
      });
    });
  }

  it('after all of it: alive and answering, nothing left on disk, nothing logged as a server error', async () => {
    const app = target();
    expect(app.alive()).toBe(true);
    expect((await client.helper({ method: 'GET', path: '/health/live' })).status).toBe(200);
    // Nothing a refused (or accepted and deleted) request wrote is left: the files are the fixtures'.
    // Deletes of unfinished tasks finish in the background: wait for them, boundedly.
    const deadline = Date.now() + 10_000;
    while (storedFiles(app.dataDir).join('\n') !== filesBefore.join('\n') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(storedFiles(app.dataDir)).toEqual(filesBefore);
    // A 500 (a bug) is logged at ERROR with its stack; a client's mistake at WARN at most.
    const errors = stripAnsi(app.output())
      .split('\n')
      .filter((line) => /\bERROR\b|"level":"(error|fatal)"/.test(line));
    expect(errors).toEqual([]);
    expect(ran.size).toBe(CASES.length);
    expect(client.sent).toBeGreaterThanOrEqual(MIN_REQUESTS);
  });
}

/** A completed create-zip (with a download), a silent pending countdown, and a deleted task. */
async function makeFixtures(client: HostileClient): Promise<Fixtures> {
  const boundary = 'fixture';
  const zip = await client.helperJson<{ id: string }>(
    {
      method: 'POST',
      path: '/tasks/create-zip',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="hostile.txt"\r\n\r\nhello, hostile world\r\n--${boundary}--\r\n`,
    },
    202,
  );
  await waitFor(client, zip.id, 'completed');
  const download = await client.helper({ method: 'GET', path: `/tasks/${zip.id}/download` });
  const zipSize = Number(download.headers['content-length']);
  if (download.status !== 200 || !(zipSize > 0)) throw new Error(`fixture download: ${download.status}`);

  const quick = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ticks":1,"tickMs":0}' };
  const quiet = await client.helperJson<{ id: string }>({ ...quick, path: '/tasks/countdown?delayMs=3600000' }, 202);
  const gone = await client.helperJson<{ id: string }>({ ...quick, path: '/tasks/countdown' }, 202);
  await waitFor(client, gone.id, 'completed');
  const fixtures: Fixtures = { done: zip.id, zipSize, quiet: quiet.id, gone: gone.id };
  await deleteTask(client, gone.id);
  return fixtures;
}

async function waitFor(client: HostileClient, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const view = await client.helperJson<{ status: string }>({ method: 'GET', path: `/tasks/${id}` }, 200);
    if (view.status === status) return;
    if (['completed', 'failed', 'cancelled'].includes(view.status) || Date.now() > deadline) {
      throw new Error(`fixture task ${id}: ${view.status}, not ${status}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
