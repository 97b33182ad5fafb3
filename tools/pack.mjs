// `npm run pack [name...]`: builds the publishable packages into
// dist/packages/<name>/ (compiled JS and .d.ts, a package.json, a README) and
// `npm pack`s each into dist/packages/stepwise-<name>-<version>.tgz. Specs,
// spec helpers, test fixtures and benchmarks stay out.
//
// libs/contract (statuses, event names, REST views) is not published on its
// own: each package builds it in, as dist/contract/, and its
// `@stepwise/contract` imports are rewritten to that folder, so that
// @stepwise/client installs without @stepwise/tasks and neither needs a
// third package.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { root } from './build.mjs';

const workspace = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist/packages');
const versionOf = (name) => {
  const range = workspace.dependencies[name] ?? workspace.devDependencies[name];
  if (!range) throw new Error(`pack: ${name} is not a dependency of the workspace`);
  return range;
};
const pick = (names) => Object.fromEntries(names.map((name) => [name, versionOf(name)]));

const CONTRACT = '@stepwise/contract';
/** The contract's name as a module specifier: a string literal of its own. */
const IMPORTED_CONTRACT = /(["'])@stepwise\/contract\1/;

/** Compiles libs/<name>/tsconfig.pack.json (extra tsc arguments after it). */
function tsc(name, ...args) {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', `libs/${name}/tsconfig.pack.json`, ...args],
    { cwd: root, stdio: 'inherit' },
  );
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** tsc emits only what it compiles: every `assets/` folder (the dashboard's browser files) is copied as it is. */
function copyAssets(src, out) {
  for (const entry of readdirSync(src, { withFileTypes: true, recursive: true })) {
    if (!entry.isDirectory() || entry.name !== 'assets') continue;
    const from = join(entry.parentPath ?? entry.path, entry.name);
    cpSync(from, join(out, relative(src, from)), { recursive: true });
  }
}

/** The contract's declarations (and, unless `typesOnly`, its CommonJS) into `<dist>/contract/`. */
function buildContract(dist, { typesOnly = false } = {}) {
  tsc('contract', '--outDir', join(dist, 'contract'), ...(typesOnly ? ['--emitDeclarationOnly'] : []));
}

/**
 * Points every `@stepwise/contract` import of the compiled files (require(),
 * import/export ... from, import() types) at `<dist>/contract/index`. tsc
 * always prints a module specifier as a string literal of its own, so the
 * quoted name is only ever a specifier; a leftover fails the build.
 */
function inlineContract(dist) {
  for (const file of filesUnder(dist)) {
    if (!/\.(c|m)?js$|\.d\.ts$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (!IMPORTED_CONTRACT.test(text)) continue;
    let target = relative(dirname(file), join(dist, 'contract/index'));
    if (!target.startsWith('.')) target = `./${target}`;
    writeFileSync(
      file,
      text.replaceAll(new RegExp(IMPORTED_CONTRACT, 'g'), (_, quote) => `${quote}${target}${quote}`),
    );
  }
}

/** The client's JavaScript: one ESM and one CommonJS bundle with the contract inside; socket.io-client stays a dependency. */
async function bundleClient(dist) {
  const external = ['socket.io-client'];
  for (const [format, file] of [
    ['esm', 'index.mjs'],
    ['cjs', 'index.cjs'],
  ]) {
    const result = await esbuild({
      entryPoints: [join(root, 'libs/client/src/index.ts')],
      outfile: join(dist, file),
      bundle: true,
      format,
      // Neutral: no Node built-in is assumed, and none may be imported (the check below).
      platform: 'neutral',
      target: 'es2022',
      external,
      alias: { [CONTRACT]: join(root, 'libs/contract/src/index.ts') },
      tsconfigRaw: {},
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
    });
    const imported = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    const unexpected = imported.filter((path) => !external.includes(path));
    if (unexpected.length > 0) throw new Error(`pack: the client bundle imports ${unexpected.join(', ')}`);
  }
}

/** What each package needs at run time, and what the host app brings. */
const PACKAGES = [
  {
    name: 'tasks',
    description:
      'Declared, durable background tasks for NestJS: steps, retries, compensation, progress, REST and Socket.IO.',
    // Embedded mode's: SQLite through TypeORM, REST with OpenAPI, Socket.IO, health.
    // @opentelemetry/api: its spans are the API's no-op until the app registers an SDK.
    dependencies: pick([
      '@nestjs/platform-socket.io',
      '@nestjs/swagger',
      '@nestjs/terminus',
      '@nestjs/websockets',
      '@opentelemetry/api',
      '@types/express',
      'better-sqlite3',
      'busboy',
      'cron-parser',
      'socket.io',
      'typeorm',
      'zod',
    ]),
    // What the host app brings: any Nest 11.
    peerDependencies: {
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      ...pick(['reflect-metadata', 'rxjs']),
    },
    // Loaded only when configured; a missing one fails the boot naming it (adapters/optional-packages.ts).
    optionalPeerDependencies: pick([
      '@nestjs/bullmq',
      '@nestjs/throttler',
      '@aws-sdk/client-s3',
      '@aws-sdk/lib-storage',
      '@aws-sdk/s3-request-presigner',
      '@tus/file-store',
      '@tus/s3-store',
      '@tus/server',
      '@tus/utils',
      'bullmq',
      'ioredis',
      'jose',
      'pg',
      'prom-client',
    ]),
    // Entry points of optional features: their types need the optional packages.
    subpaths: {
      './s3': 's3',
      './redis': 'redis',
      './health': 'health',
      './openapi': 'openapi',
      './typeorm': 'typeorm',
      './testing': 'testing/index',
    },
    // CommonJS and .d.ts by tsc (decorator metadata needs it), the contract beside them.
    // The dashboard's browser files (dashboard/assets/) are copied as they are.
    async build(dist) {
      buildContract(dist);
      tsc('tasks');
      copyAssets(join(root, 'libs/tasks/src'), dist);
      inlineContract(dist);
      return {
        main: './dist/index.js',
        types: './dist/index.d.ts',
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      };
    },
    // The tus packages require Node 20.19 (require of ES modules).
    engines: { node: '>=20.19' },
  },
  {
    name: 'client',
    description:
      'Typed client for a Stepwise server, for Node 20+ and browsers: submit tasks, follow them over Socket.IO, wait for their results.',
    // Imported at load time (the event streams); fetch is the platform's.
    dependencies: pick(['socket.io-client']),
    // ESM for browsers and bundlers, CommonJS for require(); one set of .d.ts for both.
    async build(dist) {
      buildContract(dist, { typesOnly: true });
      tsc('client');
      inlineContract(dist);
      await bundleClient(dist);
      return {
        main: './dist/index.cjs',
        module: './dist/index.mjs',
        types: './dist/index.d.ts',
        exports: {
          '.': { types: './dist/index.d.ts', import: './dist/index.mjs', require: './dist/index.cjs' },
        },
        sideEffects: false,
      };
    },
    // Global fetch, FormData and Blob; fs.openAsBlob for files read from disk.
    engines: { node: '>=20' },
  },
];

async function packOne(spec) {
  const dir = join(out, spec.name);
  const dist = join(dir, 'dist');
  rmSync(dir, { recursive: true, force: true });
  const entry = await spec.build(dist);
  const leftover = filesUnder(dist).filter((file) => IMPORTED_CONTRACT.test(readFileSync(file, 'utf8')));
  if (leftover.length > 0) throw new Error(`pack: ${CONTRACT} is still imported by ${leftover.join(', ')}`);
  const manifest = {
    name: `@stepwise/${spec.name}`,
    version: workspace.version,
    description: spec.description,
    license: workspace.license,
    ...entry,
    exports: {
      ...entry.exports,
      ...Object.fromEntries(
        Object.entries(spec.subpaths ?? {}).map(([path, file]) => [
          path,
          { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
        ]),
      ),
      './package.json': './package.json',
    },
    files: ['dist', 'README.md'],
    engines: spec.engines,
    dependencies: spec.dependencies,
    ...(spec.peerDependencies || spec.optionalPeerDependencies
      ? {
          peerDependencies: { ...spec.peerDependencies, ...spec.optionalPeerDependencies },
          peerDependenciesMeta: Object.fromEntries(
            Object.keys(spec.optionalPeerDependencies ?? {}).map((name) => [name, { optional: true }]),
          ),
        }
      : {}),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const readme = join(root, `libs/${spec.name}/README.md`);
  if (existsSync(readme)) copyFileSync(readme, join(dir, 'README.md'));
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
  return join(out, tgz.split('\n').pop());
}

/** Packs the named packages (all by default); resolves with the tarballs' paths. */
export async function pack(names = PACKAGES.map((spec) => spec.name)) {
  const unknown = names.filter((name) => !PACKAGES.some((spec) => spec.name === name));
  if (unknown.length > 0) throw new Error(`pack: no package named ${unknown.join(', ')}`);
  mkdirSync(out, { recursive: true });
  const tarballs = [];
  for (const spec of PACKAGES.filter((spec) => names.includes(spec.name))) tarballs.push(await packOne(spec));
  return tarballs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  for (const tgz of await pack(names.length > 0 ? names : undefined))
    console.log(`packed ${tgz.slice(root.length + 1)}`);
}
