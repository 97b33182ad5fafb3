import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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
  const relative = `tmp/build-${process.pid}`;
  execFileSync(process.execPath, [join(root, 'tools/build.mjs'), relative], { cwd: root, stdio: 'pipe' });
  if (!existsSync(join(root, relative, 'apps/api/src/main.js'))) {
    throw new Error(`build did not produce ${relative}/apps/api/src/main.js`);
  }
  process.once('exit', () => rmSync(join(root, relative), { recursive: true, force: true }));
  built = relative;
  return built;
}
