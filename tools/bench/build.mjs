// Builds the workspace for the benchmark into tools/bench/tmp/build (not
// dist/): other runs rebuild dist/ (rm -rf) at any time, which would pull the
// code from under a running benchmark. The build holds the test harness's
// servers too (test/distributed/harness), which the benchmarks start.
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as buildWorkspace, root } from '../build.mjs';

export { root };
export const buildDir = join(root, 'tools', 'bench', 'tmp', 'build');

/** The workspace and the harness, into `outDir`. */
export function build(outDir = buildDir) {
  buildWorkspace(outDir);
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/@swc/cli/bin/swc.js'),
      'test/distributed/harness',
      'test/support/api-process.ts',
      '-d',
      relative(root, outDir),
      '--config-file',
      '.swcrc',
      '--quiet',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build();
  console.log(`built ${buildDir}`);
}
