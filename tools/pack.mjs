// `npm run pack`: builds the publishable packages into dist/packages/<name>/
// (compiled JS and .d.ts by tsc, a package.json, a README) and `npm pack`s
// each into dist/packages/stepwise-<name>-<version>.tgz. Specs, spec helpers,
// test fixtures and benchmarks stay out.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './build.mjs';

const workspace = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist/packages');
const versionOf = (name) => {
  const range = workspace.dependencies[name] ?? workspace.devDependencies[name];
  if (!range) throw new Error(`pack: ${name} is not a dependency of the workspace`);
  return range;
};
const pick = (names) => Object.fromEntries(names.map((name) => [name, versionOf(name)]));

/** What each package needs at run time, and what the host app brings. */
const PACKAGES = [
  {
    name: 'tasks',
    description:
      'Declared, durable background tasks for NestJS: steps, retries, compensation, progress, REST and Socket.IO.',
    // Embedded mode's: SQLite through TypeORM, REST with OpenAPI, Socket.IO, health.
    dependencies: pick([
      '@nestjs/platform-socket.io',
      '@nestjs/swagger',
      '@nestjs/terminus',
      '@nestjs/websockets',
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
      '@aws-sdk/client-s3',
      '@aws-sdk/lib-storage',
      '@aws-sdk/s3-request-presigner',
      '@tus/file-store',
      '@tus/s3-store',
      '@tus/server',
      '@tus/utils',
      'bullmq',
      'ioredis',
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
  },
];

function packOne(spec) {
  const dir = join(out, spec.name);
  rmSync(dir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', `libs/${spec.name}/tsconfig.pack.json`],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const manifest = {
    name: `@stepwise/${spec.name}`,
    version: workspace.version,
    description: spec.description,
    license: workspace.license,
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      ...Object.fromEntries(
        Object.entries(spec.subpaths ?? {}).map(([path, file]) => [
          path,
          { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
        ]),
      ),
      './package.json': './package.json',
    },
    files: ['dist', 'README.md'],
    // The tus packages require Node 20.19 (require of ES modules).
    engines: { node: '>=20.19' },
    dependencies: spec.dependencies,
    peerDependencies: { ...spec.peerDependencies, ...spec.optionalPeerDependencies },
    peerDependenciesMeta: Object.fromEntries(
      Object.keys(spec.optionalPeerDependencies ?? {}).map((name) => [name, { optional: true }]),
    ),
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

export function pack() {
  mkdirSync(out, { recursive: true });
  return PACKAGES.map(packOne);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const tgz of pack()) console.log(`packed ${tgz.slice(root.length + 1)}`);
}
