// Builds the workspace for the benchmark into tools/bench/tmp/build (not
// dist/): other runs rebuild dist/ (rm -rf) at any time, which would pull the
// code from under a running benchmark.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as buildWorkspace, root } from '../build.mjs';

export { root };
export const buildDir = join(root, 'tools', 'bench', 'tmp', 'build');

export function build() {
  return buildWorkspace(buildDir);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build();
  console.log(`built ${buildDir}`);
}
