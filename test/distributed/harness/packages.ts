import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The packaging specs' common ground: `tools/pack.mjs` and `npm install`
// into a directory outside the repository (needs the npm registry, or a warm
// npm cache).

export const run = promisify(execFile);
export const root = join(__dirname, '..', '..', '..');

const workspace = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The workspace's version: every package is published with it. */
export const version = workspace.version;

/** `name@range` as the workspace pins it, so that an outside app installs what the tests ran with. */
export const at = (name: string): string =>
  `${name}@${workspace.dependencies[name] ?? workspace.devDependencies[name]}`;

/** `npm run pack <name>`: builds and packs one package; resolves with its tarball. */
export async function packPackage(name: 'tasks' | 'client'): Promise<string> {
  await run(process.execPath, [join(root, 'tools/pack.mjs'), name], { cwd: root });
  return join(root, 'dist/packages', `stepwise-${name}-${version}.tgz`);
}

/** `npm install` of these specs (tarballs, `name@range`) into `dir`. */
export async function npmInstall(dir: string, specs: string[]): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The paths inside a tarball (`package/...`). */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball]);
  return stdout.split('\n').filter(Boolean);
}

/** A module specifier `@stepwise/contract` left in compiled code: the contract was not built in. */
export const CONTRACT_IMPORT = /(["'])@stepwise\/contract\1/;
