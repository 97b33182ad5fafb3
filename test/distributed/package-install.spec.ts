import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUBLIC_EVENT_TYPES, TASK_STATUSES } from '../../libs/contract/src';
import { at, CONTRACT_IMPORT, npmInstall, packPackage, root, run, tarballFiles, version } from './harness/packages';

// A new user's install: `npm run pack`, then the tarball into a fresh Nest 11
// app outside the repository with nothing but Nest's own packages, strict
// `tsc` without skipLibCheck, Jest with plain @swc/jest, and the built app
// answering over HTTP. Needs the npm registry (or a warm npm cache).
let tarball: string;
let app: string;
let server: ChildProcess | undefined;

beforeAll(async () => {
  tarball = await packPackage('tasks');
  app = mkdtempSync(join(tmpdir(), 'stepwise-fresh-app-'));
  cpSync(join(root, 'test/package/fresh-app'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  const install = [
    tarball,
    ...['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'].map(at),
    ...['typescript', '@types/node', 'jest', '@types/jest', '@swc/core', '@swc/jest'].map(at),
  ];
  await npmInstall(app, install);
}, 600_000);

afterAll(() => {
  server?.kill('SIGKILL');
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('@stepwise/tasks installed into a fresh Nest app', () => {
  it('ships compiled code, types and a manifest, and no specs, helpers or fixtures', async () => {
    const files = await tarballFiles(tarball);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/README.md',
        'package/dist/index.d.ts',
        // The dashboard's browser files, which tsc does not emit: copied by the pack.
        'package/dist/dashboard/assets/dashboard.js',
        'package/dist/dashboard/assets/dashboard.css',
      ]),
    );
    expect(files.filter((f) => /\.spec|dist\/[a-z-]+\/testing\/|__repro__|bench/.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@stepwise/tasks/package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: '@stepwise/tasks',
      version,
      license: 'MIT',
      engines: { node: '>=20.19' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    });
    // What only distributed mode, S3 or resumable uploads need is an optional peer, not a dependency.
    for (const name of ['bullmq', '@nestjs/bullmq', 'ioredis', 'pg', '@aws-sdk/client-s3', '@tus/server']) {
      expect([name, manifest.dependencies[name], manifest.peerDependenciesMeta[name]]).toEqual([
        name,
        undefined,
        { optional: true },
      ]);
    }
  });

  it('has the shared contract built in: no @stepwise/contract to install, none imported', async () => {
    const installed = join(app, 'node_modules/@stepwise/tasks');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(
      Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }).filter((name) =>
        name.startsWith('@stepwise/'),
      ),
    ).toEqual([]);
    const model = readFileSync(join(installed, 'dist/model/task-status.js'), 'utf8');
    expect(model).toContain('require("../contract/index")');
    expect(model).not.toMatch(CONTRACT_IMPORT);
    expect(readFileSync(join(installed, 'dist/realtime/task-event-view.d.ts'), 'utf8')).not.toMatch(CONTRACT_IMPORT);
    // And it loads: the kernel's vocabulary is the contract's lists.
    const { stdout } = await run(process.execPath, [
      '-e',
      `const m = require(${JSON.stringify(join(installed, 'dist/model/index.js'))});
       console.log(JSON.stringify([m.TASK_STATUSES, m.PUBLIC_EVENT_TYPES, m.isTerminal('cancelled')]));`,
    ]);
    const [statuses, publicEvents, cancelledIsTerminal] = JSON.parse(stdout) as [string[], string[], boolean];
    // The installed package's lists are the workspace contract's, built in.
    expect(statuses).toEqual([...TASK_STATUSES]);
    expect(publicEvents).toEqual([...PUBLIC_EVENT_TYPES]);
    expect(publicEvents).not.toContain('task.retrying');
    expect(cancelledIsTerminal).toBe(true);
  });

  it('compiles against it with strict tsc and no skipLibCheck', async () => {
    await expect(run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: app })).resolves.toBeDefined();
  }, 120_000);

  it('runs the app’s own Jest tests that import it, with no transformIgnorePatterns', async () => {
    const { stdout, stderr } = await run(join(app, 'node_modules/.bin/jest'), ['--ci'], { cwd: app });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
  }, 120_000);

  it('fails the boot of a feature whose optional packages are missing with the command that installs them', async () => {
    const failed = await run(process.execPath, ['dist/src/distributed.js'], { cwd: app }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    // Whichever of the distributed adapters boots first names its own packages.
    expect(failed?.stderr).toMatch(
      /Stepwise: .+ needs "(pg|ioredis|bullmq)".*, not installed: npm install (pg|ioredis|bullmq)/,
    );
  });

  it("fails the boot of queues on the app's own BullMQ without @nestjs/bullmq, naming it", async () => {
    const failed = await run(process.execPath, ['dist/src/bullmq-feature.js'], { cwd: app }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(
      'Stepwise: TaskModule.forFeature(tasks, { bullmq: true }) needs "@nestjs/bullmq", "bullmq", "ioredis", ' +
        'not installed: npm install @nestjs/bullmq bullmq ioredis',
    );
  });

  it('boots with TaskModule.forRoot() and serves a task and the dashboard over HTTP', async () => {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-fresh-data-'));
    server = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: app,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
      server!.once('exit', (code) => reject(new Error(`app exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const submitted = await fetch(`${base}/tasks/greet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: {} }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    let view: { status: string; result?: unknown } = { status: 'pending' };
    for (let i = 0; i < 100 && view.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = (await (await fetch(`${base}/tasks/${id}`)).json()) as typeof view;
    }
    expect(view.status).toBe('completed');
    const result = (await (await fetch(`${base}/tasks/${id}/result`)).json()) as { output: unknown };
    expect(result.output).toEqual({ greeting: `hello from ${id}` });
    // The dashboard, at the library's default path, and its script from the installed package's files.
    const page = await fetch(`${base}/dashboard`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const entry = /<script type="module" src="([^"]+)">/.exec(await page.text())?.[1];
    expect(entry).toMatch(/^\/dashboard\/assets\/[0-9a-f]{16}\/dashboard\.js$/);
    const script = await fetch(`${base}${entry}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    rmSync(dataDir, { recursive: true, force: true });
  });
});
