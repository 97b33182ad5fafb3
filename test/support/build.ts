import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
let built: string | undefined;

/**
 * Builds the workspace once per test process into a private directory under
 * tmp/ and returns it, relative to the repository root (apps run from it as
 * real child processes). Private because another run (`npm start`, another
 * suite) may rebuild dist/ at any moment; removed when the process exits.
 */
export function buildOnce(): string {
  if (built) return built;
  removeStaleBuilds();
  const relative = `tmp/build-${process.pid}`;
  execFileSync(process.execPath, [join(root, 'tools/build.mjs'), relative], { cwd: root, stdio: 'pipe' });
  if (!existsSync(join(root, relative, 'apps/api/src/main.js'))) {
    throw new Error(`build did not produce ${relative}/apps/api/src/main.js`);
  }
  process.once('exit', () => rmSync(join(root, relative), { recursive: true, force: true }));
  built = relative;
  return built;
}

/**
 * Removes the builds of test processes that are gone: the `exit` handler
 * above does not run in every Jest worker (they may be killed at the end).
 */
function removeStaleBuilds(): void {
  const tmp = join(root, 'tmp');
  if (!existsSync(tmp)) return;
  for (const name of readdirSync(tmp)) {
    const pid = /^(?:build|distributed-dist)-(\d+)(?:-|$)/.exec(name)?.[1];
    if (pid && !isAlive(Number(pid))) rmSync(join(tmp, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
