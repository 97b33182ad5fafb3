// Compiles apps and libs with SWC into dist/ (or the directory given as the
// first argument), then links the workspace libraries under
// <out>/node_modules so `@stepwise/*` imports resolve at run time exactly as
// tsconfig paths resolve them at compile time. The output directory must sit
// inside the repository, so that packages resolve from its node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the workspace into `outDir` (absolute, or relative to the repository root). */
export function build(outDir = join(root, 'dist')) {
  const out = resolve(root, outDir);
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/@swc/cli/bin/swc.js'),
      'apps',
      'libs',
      '-d',
      relative(root, out),
      '--config-file',
      '.swcrc',
      '--ignore',
      // Test code: specs, and the private `testing/` folders (the public kit is libs/tasks/src/testing).
      '**/*.spec.ts,libs/*/src/*/testing/**,libs/examples/src/testing/**',
      // TypeScript only: other files (the dashboard's browser scripts and styles) are copied as they are.
      '--extensions',
      '.ts',
      '--copy-files',
      '--quiet',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  // Every libs/<name>/src/index.ts is @stepwise/<name>.
  for (const name of readdirSync(join(root, 'libs'))) {
    if (!existsSync(join(root, 'libs', name, 'src', 'index.ts'))) continue;
    const dir = join(out, 'node_modules/@stepwise', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), `module.exports = require('../../../libs/${name}/src/index.js');\n`);
    // Entry points beside the index (`@stepwise/tasks/openapi` is src/openapi.ts).
    for (const file of readdirSync(join(root, 'libs', name, 'src'))) {
      if (!file.endsWith('.ts') || file === 'index.ts' || file.endsWith('.spec.ts')) continue;
      const entry = file.slice(0, -3);
      writeFileSync(join(dir, `${entry}.js`), `module.exports = require('../../../libs/${name}/src/${entry}.js');\n`);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = build(process.argv[2]);
  console.log(`built ${relative(root, out) || '.'}/`);
}
