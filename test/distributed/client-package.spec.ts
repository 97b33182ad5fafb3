import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { build, type Plugin } from 'esbuild';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../libs/tasks/src/dashboard/testing/browser';
import { startExampleApp } from './harness/example-app';
import { at, CONTRACT_IMPORT, npmInstall, packPackage, root, run, tarballFiles, version } from './harness/packages';
import type { Followed } from '../package/client-app/src/browser-entry';

// @stepwise/client as a user gets it: `npm run pack`, the tarball installed
// alone (no @stepwise/tasks) outside the repository, strict tsc for a browser
// and for Node, require() and import in Node, and an esbuild bundle for the
// browser that follows a task of a running embedded app in Chromium. Needs
// the npm registry (or a warm npm cache).

/** esbuild refuses every Node built-in: the bundle must run in a browser as it is. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(bundle) {
    const builtin = new RegExp(`^(node:.*|(${builtinModules.join('|')})(/.*)?)$`);
    bundle.onResolve({ filter: builtin }, ({ path, importer }) => ({
      errors: [{ text: `Node built-in "${path}" imported by ${importer}` }],
    }));
  },
};

/** Bundles `entry` for browsers as an ES module, as a user's bundler would. */
function bundleForBrowser(entry: string) {
  return build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    // Paths in the metafile relative to the user's app.
    absWorkingDir: dir,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
}

let tarball: string;
let dir: string;
let app: INestApplication | undefined;
let dataDir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The client's browser test needs Chromium at ${CHROMIUM}: \`apt-get install -y chromium\` (.ci/run does).`,
    );
  }
  const launching = launchChromium().then((launched) => (browser = launched));
  tarball = await packPackage('client');
  dir = mkdtempSync(join(tmpdir(), 'stepwise-client-app-'));
  cpSync(join(root, 'test/package/client-app'), dir, { recursive: true });
  // The same code as an ES module, for the NodeNext project.
  cpSync(join(dir, 'src/use.ts'), join(dir, 'src/use.mts'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'client-app', version: '1.0.0', private: true }));
  await npmInstall(dir, [tarball, at('typescript'), at('@types/node')]);
  await launching;
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('@stepwise/client installed alone', () => {
  it('ships ESM, CommonJS and types with the contract built in, and no specs', async () => {
    const files = await tarballFiles(tarball);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/README.md',
        'package/dist/index.mjs',
        'package/dist/index.cjs',
        'package/dist/index.d.ts',
        'package/dist/contract/index.d.ts',
      ]),
    );
    expect(files.filter((f) => /\.spec|testing\//.test(f))).toEqual([]);
    const installed = join(dir, 'node_modules/@stepwise/client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@stepwise/client',
      version,
      license: 'MIT',
      engines: { node: '>=20' },
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.mjs', require: './dist/index.cjs' } },
      dependencies: { 'socket.io-client': expect.any(String) },
    });
    expect(Object.keys(manifest.dependencies)).toEqual(['socket.io-client']);
    for (const file of ['dist/index.mjs', 'dist/index.cjs', 'dist/types.d.ts']) {
      expect([file, CONTRACT_IMPORT.test(readFileSync(join(installed, file), 'utf8'))]).toEqual([file, false]);
    }
  });

  it('brings no server package: @stepwise/client is the only @stepwise one installed', () => {
    expect(readdirSync(join(dir, 'node_modules/@stepwise'))).toEqual(['client']);
    expect(existsSync(join(dir, 'node_modules/@nestjs'))).toBe(false);
  });

  it.each(['browser', 'node-cjs', 'node-esm'])(
    'compiles a file using it with strict tsc, no skipLibCheck (%s project)',
    async (project) => {
      await expect(
        run(join(dir, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${project}.json`], { cwd: dir }),
      ).resolves.toBeDefined();
    },
    60_000,
  );

  it('loads in Node through require() and import, with the contract’s lists', async () => {
    const print = 'JSON.stringify([typeof c.StepwiseClient, c.TERMINAL_STATUSES, c.TASKS_NAMESPACE])';
    const required = await run(
      process.execPath,
      ['-e', `const c = require('@stepwise/client'); console.log(${print})`],
      {
        cwd: dir,
      },
    );
    const imported = await run(
      process.execPath,
      ['--input-type=module', '-e', `import * as c from '@stepwise/client'; console.log(${print})`],
      { cwd: dir },
    );
    const expected = ['function', ['completed', 'failed', 'cancelled'], '/tasks'];
    expect(JSON.parse(required.stdout)).toEqual(expected);
    expect(JSON.parse(imported.stdout)).toEqual(expected);
  });
});

describe('@stepwise/client in a browser', () => {
  it('bundles for the browser from its ES module build, with no Node built-in', async () => {
    const result = await bundleForBrowser(join(dir, 'src/browser-entry.ts'));
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('node_modules/@stepwise/client/dist/index.mjs');
    // socket.io-client's browser build, not its Node one (which needs `ws`).
    expect(inputs.filter((input) => input.startsWith('node_modules/ws/'))).toEqual([]);
  });

  it('refuses a Node built-in in the bundle (the check above can fail)', async () => {
    const entry = join(dir, 'src/uses-node.ts');
    writeFileSync(entry, "import { EventEmitter } from 'node:events';\nexport const emitter = new EventEmitter();\n");
    await expect(bundleForBrowser(entry)).rejects.toThrow(/Node built-in "node:events"/);
  });

  it('submits a task to a running app and receives its completion event, in Chromium', async () => {
    const bundle = (await bundleForBrowser(join(dir, 'src/browser-entry.ts'))).outputFiles[0]!.text;
    dataDir = mkdtempSync(join(tmpdir(), 'stepwise-client-data-'));
    // The page and its script come from the app's own origin, as a user's app would serve them.
    const page = {
      '/': ['text/html', '<!doctype html><link rel="icon" href="data:,"><script type="module" src="app.js"></script>'],
      '/app.js': ['text/javascript', bundle],
    };
    app = await startExampleApp({ dataDir, engine: { progressThrottleMs: 5 } }, (nest) =>
      nest.use('/client-test', (req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const [type, body] = page[req.url as keyof typeof page] ?? [];
        if (!body) return next();
        res.writeHead(200, { 'content-type': type }).end(body);
      }),
    );
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    const tab = await browser!.newPage();
    const problems: string[] = [];
    const websockets: string[] = [];
    tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    tab.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    tab.on('websocket', (socket) => websockets.push(socket.url()));
    await tab.goto(`${base}/client-test/`);
    const followed = await tab.evaluate(
      (baseUrl) =>
        (globalThis as unknown as { followCountdown(baseUrl: string): Promise<Followed> }).followCountdown(baseUrl),
      base,
    );

    expect(followed.output).toEqual({ ticks: 5 });
    const names = followed.events.map((e) => e.event);
    expect(names).toContain('task.progress');
    // Received over Socket.IO, not derived from a snapshot of a task already over.
    expect(followed.events.at(-1)).toEqual({ event: 'task.completed', progress: 1, synthetic: undefined });
    expect(websockets.some((url) => url.startsWith(`ws://127.0.0.1:`) && url.includes('/socket.io/'))).toBe(true);
    expect(problems).toEqual([]);
    await tab.close();
  }, 60_000);
});
