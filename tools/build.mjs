// Compiles apps and libs with SWC into dist/, then links the workspace
// libraries under dist/node_modules so `@stepwise/*` imports resolve at run
// time exactly as tsconfig paths resolve them at compile time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const libs = {
  tasks: 'libs/tasks/src/index.js',
  examples: 'libs/examples/src/index.js',
  client: 'libs/client/src/index.js',
};

rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@swc/cli/bin/swc.js'),
    'apps',
    'libs',
    '-d',
    'dist',
    '--config-file',
    '.swcrc',
    '--ignore',
    '**/*.spec.ts',
    '--copy-files',
    '--quiet',
  ],
  { cwd: root, stdio: 'inherit' },
);
for (const [name, entry] of Object.entries(libs)) {
  const dir = join(dist, 'node_modules/@stepwise', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), `module.exports = require('../../../${entry}');\n`);
}
console.log('built dist/');
