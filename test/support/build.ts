import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
let built = false;

/** Builds dist/ once per test process (apps run as real child processes). */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [join(root, 'tools/build.mjs')], { cwd: root, stdio: 'pipe' });
  built = existsSync(join(root, 'dist/apps/api/src/main.js')) && statSync(join(root, 'dist')).isDirectory();
  if (!built) throw new Error('build did not produce dist/apps/api/src/main.js');
}
