import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

// The README's quick start, run as written (its ```bash blocks, in order)
// against the embedded app: a walk-through that breaks fails here.
const run = promisify(execFile);
const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const start = readme.indexOf('### The ZIP scenario with curl');
// Up to the next section: the walk-throughs, not the install steps that follow.
const quickStart = readme.slice(start, readme.indexOf('\n## ', start));
const blocks = [...quickStart.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('README quick start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-readme-'));
  const cwd = mkdtempSync(join(tmpdir(), 'stepwise-readme-cwd-'));
  let app: AppProcess;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, { PORT: String(port), DATA_DIR: dataDir });
    await app.start(async () => (await fetch(`${base}/tasks?limit=1`)).ok);
  }, 120_000);

  afterAll(async () => {
    await app?.kill();
    for (const dir of [dataDir, cwd]) rmSync(dir, { recursive: true, force: true });
  });

  it('has the walk-throughs it promises', () => {
    expect(blocks).toHaveLength(2);
  });

  it('runs its shell blocks, in order, each command succeeding', async () => {
    const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll('http://localhost:3000', base);
    const { stdout } = await run('bash', ['-c', script], { cwd, timeout: 60_000 });
    // The id, the ZIP's listing with both files, the 204 of the delete, the 202 of the cancel.
    expect(stdout).toMatch(/^[0-9a-f-]{36}$/m);
    expect(stdout).toMatch(/a\.txt[\s\S]*b\.txt/);
    expect(stdout).toMatch(/^204\n[\s\S]*^202$/m);
  }, 90_000);
});
