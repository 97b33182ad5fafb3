import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExampleTasksModule } from '@stepwise/examples';
import type { Browser, Locator, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, until, expectText, expectAttribute, expectCount, textOf } from './testing/browser';
import request from 'supertest';
import { z } from 'zod';
import { Step, Task, type StandardSchemaV1, type StepContext } from '../definition';
import { TASK_EVENT_TYPES, TASK_STATUSES, TERMINAL_STATUSES } from '@stepwise/contract';
import { resolveOptions } from '../core/resolved-options';
import { TaskModule } from '../task.module';
import type { TASK_MODULE_OPTIONS_TYPE } from '../core/task-module.definition';
import { TaskEventsGateway } from '../realtime/task-events.gateway';
import { ASSETS_DIR, DASHBOARD_CSP } from './dashboard-assets';
import { escapeHtml, jsonForHtml, type DashboardPageData } from './dashboard-page';

const ARTIFACTS = join(__dirname, '../../../../test-artifacts');

interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

async function startApp(
  options: typeof TASK_MODULE_OPTIONS_TYPE = {},
  configure?: (app: INestApplication) => void,
  tasks: Type[] = [],
): Promise<RunningApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-dashboard-'));
  const moduleRef = await Test.createTestingModule({
    imports: [
      TaskModule.forRoot({
        dataDir,
        engine: { progressThrottleMs: 20, shutdownGraceMs: 200 },
        realtime: { progressThrottleMs: 20 },
        ...options,
      }),
      ExampleTasksModule,
    ],
    providers: tasks,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The page's JSON data block, parsed. */
function pageData(html: string): DashboardPageData {
  const match = /<script type="application\/json" id="dashboard-data">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error('the page has no data block');
  return JSON.parse(match[1]) as DashboardPageData;
}

/** URL paths of the page's stylesheet and entry module. */
function assetUrls(html: string): { css: string; entry: string; preloads: string[] } {
  const css = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
  const entry = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
  if (!css || !entry) throw new Error('the page names no stylesheet or script');
  return { css, entry, preloads: [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]) };
}

describe('dashboard over HTTP', () => {
  let running: RunningApp;
  let html: string;

  beforeAll(async () => {
    running = await startApp();
    html = (await request(running.app.getHttpServer()).get('/dashboard').expect(200)).text;
  });
  afterAll(() => running?.close());

  it('GET /dashboard answers the page, with its landmarks and a same-origin CSP', async () => {
    const res = await request(running.app.getHttpServer()).get('/dashboard').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toBe(DASHBOARD_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // The page names the current release of its files: revalidated on every load.
    expect(res.headers['cache-control']).toBe('no-cache');

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="en">');
    for (const landmark of ['<header class="app-header">', '<main class="layout">', '<footer class="app-footer">']) {
      expect(html).toContain(landmark);
    }
    expect(html).toContain('role="tablist"');
    expect(html).toContain('id="task-list"');
    expect(html).toContain('<legend class="visually-hidden">Filter by status</legend>');
    for (const status of ['pending', 'running', 'paused', 'compensating', 'completed', 'failed', 'cancelled']) {
      expect(html).toContain(`name="status-filter" value="${status}"`);
    }
    expect(html).toContain('role="progressbar"');
    // Every input has a label.
    for (const [, id] of html.matchAll(/<input id="([^"]+)"/g)) expect(html).toContain(`for="${id}"`);
    // Scripts and styles come from files only: the CSP would block anything inline. The one
    // inline <script> is a JSON data block, which no browser runs.
    expect(html).toContain('<script src="/socket.io/socket.io.min.js" defer></script>');
    const { css, entry, preloads } = assetUrls(html);
    expect(entry).toMatch(/^\/dashboard\/assets\/[0-9a-f]{16}\/dashboard\.js$/);
    expect(css).toBe(entry.replace(/dashboard\.js$/, 'dashboard.css'));
    expect(preloads.length).toBeGreaterThan(0);
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
      expect(tag).toMatch(/ src="|^<script type="application\/json" id="dashboard-data">$/);
    }
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
  });

  it('writes the model into the page: statuses, event names and every task type with its input JSON Schema', () => {
    const data = pageData(html);
    expect(data.base).toBe('');
    expect(data.statuses.map((s) => s.value)).toEqual([...TASK_STATUSES]);
    expect(data.statuses.filter((s) => s.terminal).map((s) => s.value)).toEqual([...TERMINAL_STATUSES]);
    expect(data.events).toEqual([...TASK_EVENT_TYPES]);
    expect(data.taskTypes.map((t) => [t.type, t.acceptsFiles])).toEqual([
      ['create-zip', true],
      ['countdown', false],
      ['csv-import', true],
      ['approval', false],
      ['countdown-batch', false],
      ['throttled-countdown', false],
    ]);
    const countdown = data.taskTypes.find((t) => t.type === 'countdown')!.schema!;
    expect(countdown).toMatchObject({
      type: 'object',
      title: 'Countdown',
      properties: { ticks: { type: 'integer', minimum: 1, default: 10 }, tickMs: { title: 'Tick length (ms)' } },
    });
  });

  it('serves its files under their version, for a year, immutable; they revalidate with their ETag', async () => {
    const server = running.app.getHttpServer();
    const { css, entry } = assetUrls(html);
    const res = await request(server).get(css).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/css; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.text).toContain('.task-list');
    const etag = res.headers['etag'];
    expect(etag).toMatch(/^"[\w-]+"$/);
    await request(server).get(css).set('If-None-Match', etag).expect(304);
    // Another release's files, or none, are not this app's: they fall through to a 404.
    await request(server)
      .get(entry.replace(/\/[0-9a-f]{16}\//, '/0123456789abcdef/'))
      .expect(404);
    await request(server)
      .get(entry.replace(/dashboard\.js$/, 'nope.js'))
      .expect(404);
  });

  it('serves the script as ES modules, each the file in assets/, valid, writing task data as text only', async () => {
    const server = running.app.getHttpServer();
    const { entry, preloads } = assetUrls(html);
    const modules = [entry, ...preloads];
    const sources: string[] = [];
    for (const url of modules) {
      const res = await request(server).get(url).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/javascript; charset=utf-8/);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const file = join(ASSETS_DIR, url.split('/').pop()!);
      expect(res.text).toBe(readFileSync(file, 'utf8'));
      // Parsed as a module, as the browser does (imports are resolved by the page, not here).
      expect(() =>
        execFileSync(process.execPath, ['--input-type=module', '--check'], { input: res.text, stdio: 'pipe' }),
      ).not.toThrow();
      sources.push(res.text);
    }
    // Every relative import names a module the page preloads.
    const names = modules.map((url) => `./${url.split('/').pop()}`);
    for (const source of sources) {
      for (const [, specifier] of source.matchAll(/^import .* from '([^']+)';$/gm)) expect(names).toContain(specifier);
    }
    const all = sources.join('\n');
    expect(all).toContain("socket.emit('subscribe'");
    // Task data reaches the DOM through textContent only.
    expect(all).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('the Socket.IO browser client is served by Socket.IO itself', async () => {
    const res = await request(running.app.getHttpServer()).get('/socket.io/socket.io.min.js').expect(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.text.length).toBeGreaterThan(10_000);
  });

  it('is left out of nothing else: the REST API still answers next to it, and GET / is not taken', async () => {
    await request(running.app.getHttpServer()).get('/tasks?limit=1').expect(200);
    await request(running.app.getHttpServer()).get('/').expect(404);
  });

  it('escapes what it writes into the page', () => {
    expect(escapeHtml(`"><script>alert('x')</script>&`)).toBe(
      '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;',
    );
    const json = jsonForHtml({ description: '</script><script>alert(1)</script>\u2028&' });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ description: '</script><script>alert(1)</script>\u2028&' });
  });
});

describe('dashboard options', () => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("`dashboard: false` serves nothing: GET / and /dashboard are the host's (404 here)", async () => {
    running = await startApp({ dashboard: false });
    const server = running.app.getHttpServer();
    await request(server).get('/').expect(404);
    await request(server).get('/dashboard').expect(404);
  });

  it("`{ path: '/' }` takes the root, as the shipped API does", async () => {
    running = await startApp({ dashboard: { path: '/' } });
    const server = running.app.getHttpServer();
    const html = (await request(server).get('/').expect(200)).text;
    expect(pageData(html).base).toBe('');
    const { entry } = assetUrls(html);
    expect(entry).toMatch(/^\/assets\/[0-9a-f]{16}\/dashboard\.js$/);
    await request(server).get(entry).expect(200);
    await request(server).get('/dashboard').expect(404);
  });

  it('follows a global prefix, its own path and the Socket.IO path', async () => {
    running = await startApp(
      { dashboard: { path: '/ops/tasks/' }, realtime: { path: '/live', progressThrottleMs: 20 } },
      (app) => app.setGlobalPrefix('api'),
    );
    const server = running.app.getHttpServer();
    const html = (await request(server).get('/api/ops/tasks').expect(200)).text;
    const data = pageData(html);
    expect(data.base).toBe('/api');
    expect(data.socketPath).toBe('/live');
    const { css, entry } = assetUrls(html);
    expect(entry).toMatch(/^\/api\/ops\/tasks\/assets\/[0-9a-f]{16}\/dashboard\.js$/);
    expect(html).toContain('<script src="/live/socket.io.min.js" defer></script>');
    expect(html).toContain('<a class="brand" href="/api/ops/tasks"');
    await request(server).get(entry).expect(200);
    await request(server).get(css).expect(200);
    await request(server).get('/live/socket.io.min.js').expect(200);
    await request(server).get('/api/tasks?limit=1').expect(200);
  });

  it("finds the REST routes under TaskModule's routePrefix, which leaves the page where it is", async () => {
    running = await startApp({ routePrefix: '/v1' }, (app) => app.setGlobalPrefix('api'));
    const server = running.app.getHttpServer();
    const html = (await request(server).get('/api/dashboard').expect(200)).text;
    expect(pageData(html).base).toBe('/api/v1');
    await request(server).get(assetUrls(html).entry).expect(200);
    await request(server).get('/api/v1/tasks?limit=1').expect(200);
  });

  it("refuses a path it cannot serve, or one of the library's own", () => {
    const realtime = { path: '/live' };
    for (const path of [
      'dashboard',
      '/a b',
      '/a/../b',
      '/:id',
      '/x*',
      '//x',
      '/tasks',
      '/tasks/ui',
      '/uploads',
      '/schedules',
      '/schedules/ui',
      '/live/ui',
    ]) {
      expect(() => resolveOptions({ dashboard: { path }, realtime })).toThrow(/dashboard\.path/);
    }
    expect(resolveOptions({}).dashboard).toEqual({ path: '/dashboard' });
    expect(resolveOptions({ dashboard: true }).dashboard).toEqual({ path: '/dashboard' });
    expect(resolveOptions({ dashboard: { path: '/ops/' } }).dashboard).toEqual({ path: '/ops' });
    expect(resolveOptions({ dashboard: { path: '/tasks-ui' } }).dashboard).toEqual({ path: '/tasks-ui' });
    expect(resolveOptions({ dashboard: false }).dashboard).toBeNull();
  });
});

/**
 * The browser test needs Debian's Chromium (`.ci/run` installs it). Without
 * it, outside CI, it is skipped with a line saying so: `npm test` still runs
 * everything else on a machine that lacks it. In CI (CI=true) a missing
 * Chromium is a failure, never a skip.
 */
const browserAvailable = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!browserAvailable) {
  process.stderr.write(
    `dashboard browser test SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; CI=true makes this a failure)\n`,
  );
}

(browserAvailable ? describe : describe.skip)('dashboard in a browser', () => {
  let running: RunningApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const websockets: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `The dashboard's browser test needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does).`,
      );
    }
    running = await startApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('websocket', (ws) => websockets.push(ws.url()));
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(running.url + '/dashboard');
    await expectText(page.locator('#connection'), 'Live');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  afterEach(() => {
    // No CSP violation, no script error, no failed request, whatever the test did.
    expect(problems).toEqual([]);
  });

  const item = (id: string) => page.locator(`li.task[data-task-id="${id}"]`);

  /** Records every value the task's progress bar shows, from now on. */
  async function recordProgress(): Promise<void> {
    await page.evaluate(() => {
      const w = window as unknown as { seen: Record<string, number[]> };
      w.seen = {};
      new MutationObserver((records) => {
        for (const record of records) {
          const bar = record.target as HTMLElement;
          const li = bar.closest('li.task') as HTMLElement | null;
          if (!li?.dataset.taskId) continue;
          (w.seen[li.dataset.taskId] ??= []).push(Number(bar.getAttribute('aria-valuenow')));
        }
      }).observe(document.getElementById('task-list')!, {
        subtree: true,
        attributes: true,
        attributeFilter: ['aria-valuenow'],
      });
    });
  }

  async function submitCountdown(ticks: number, tickMs: number): Promise<string> {
    await page.getByRole('tab', { name: 'Countdown', exact: true }).click();
    // The throttled countdown's panel has the same fields.
    const panel = page.locator('#panel-countdown');
    await panel.getByLabel('Ticks').fill(String(ticks));
    await panel.getByLabel('Tick length (ms)').fill(String(tickMs));
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/tasks/countdown') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Start countdown', exact: true }).click();
    const res = await response;
    expect(res.status()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  it('connects one Socket.IO WebSocket, which the CSP lets through', () => {
    expect(websockets).toHaveLength(1);
    expect(websockets[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\.io\/\?EIO=4&transport=websocket/);
  });

  it('runs a countdown submitted from the form: the bar fills live and the badge turns completed', async () => {
    await recordProgress();
    const id = await submitCountdown(10, 100);
    const task = item(id);
    await expectText(task.locator('.badge'), 'Completed');
    const bar = task.getByRole('progressbar');
    await expectAttribute(bar, 'aria-valuenow', '100');
    await expectText(task.locator('.percent'), '100%');
    await expectText(task.locator('.task-message'), 'tick 10/10');
    const seen = await page.evaluate(
      (taskId) => (window as unknown as { seen: Record<string, number[]> }).seen[taskId],
      id,
    );
    // Intermediate values arrived live, in order, before the end.
    expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(100);
    await expect(task.getByRole('button', { name: /^Cancel/ }).isHidden()).resolves.toBe(true);
  }, 30_000);

  it('zips two uploaded files and links the download, a ZIP', async () => {
    await page.getByRole('tab', { name: 'ZIP files' }).click();
    await page.locator('#create-zip--files').setInputFiles([
      { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, dashboard\n') },
      { name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') },
    ]);
    await expectText(page.locator('#create-zip--files-summary'), '2 files');
    await page.getByLabel(/Archive name/).fill('bundle.zip');
    const response = page.waitForResponse((r) => r.url().endsWith('/tasks/create-zip'));
    await page.getByRole('button', { name: 'Start ZIP files' }).click();
    const res = await response;
    expect(res.status()).toBe(202);
    const id = ((await res.json()) as { id: string }).id;

    const task = item(id);
    const download = task.getByRole('link', { name: /^Download/ });
    await download.waitFor({ state: 'visible', timeout: 15_000 });
    await expectText(task.locator('.badge'), 'Completed');
    const href = await download.getAttribute('href');
    expect(href).toBe(`/tasks/${id}/download`);
    const zip = await fetch(running.url + href);
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-disposition')).toContain('bundle.zip');
    const bytes = Buffer.from(await zip.arrayBuffer());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    // The step timeline: both steps, where they ran, how they ended.
    await task.getByRole('button', { name: /show steps/ }).click();
    const steps = task.locator('.timeline .step');
    await expectCount(steps, 2);
    await expectText(steps.nth(0), 'acceptFiles');
    await expectText(steps.nth(0).locator('.tag'), 'api');
    await expectText(steps.nth(0).locator('.step-status'), 'completed');
    await expectText(steps.nth(1), 'createZipArchive');
    await expectText(steps.nth(1).locator('.tag'), 'worker');
    await expectText(steps.nth(1).locator('.step-status'), 'completed');
    await expectText(steps.nth(1).locator('.step-meta'), '1 attempt');
    await expectText(task.locator('.task-result'), 'bundle.zip');
    await expectText(task.locator('.task-result'), '2 entries');
  }, 30_000);

  it('cancels a long countdown from its Cancel button', async () => {
    const id = await submitCountdown(1000, 1000);
    const task = item(id);
    await expectText(task.locator('.badge'), 'Running');
    await task.getByRole('button', { name: /^Cancel countdown/ }).click();
    await expectText(task.locator('.badge'), 'Cancelled');
    await expect(task.getByRole('button', { name: /^Cancel/ }).isHidden()).resolves.toBe(true);
  }, 30_000);

  it('shows a task submitted elsewhere, live, from task.created on the owner room', async () => {
    const res = await request(running.app.getHttpServer()).post('/tasks/countdown').send({ ticks: 3, tickMs: 50 });
    expect(res.status).toBe(202);
    const task = item((res.body as { id: string }).id);
    await expectText(task.locator('.badge'), 'Completed');
  }, 30_000);

  /** Drops the page's connection: its transport (the client reconnects by itself), or its socket, closed by the server. */
  const drops: Record<string, () => void> = {
    'a lost transport': () => {
      const engine = running.app.get(TaskEventsGateway).server!.server.engine;
      const clients = (engine as unknown as { clients: Record<string, { close(): void }> }).clients;
      for (const client of Object.values(clients)) client.close();
    },
    'a disconnect by the server': () => running.app.get(TaskEventsGateway).server!.disconnectSockets(),
  };

  it.each(Object.keys(drops))(
    'after %s, reconnects, re-subscribes and catches up on what it missed',
    async (how) => {
      drops[how]();
      await expectAttribute(page.locator('#connection'), 'data-state', 'reconnecting');
      // Submitted while the page is away: its task.created is lost, the reload after reconnecting finds it.
      const res = await request(running.app.getHttpServer()).post('/tasks/countdown').send({ ticks: 20, tickMs: 100 });
      expect(res.status).toBe(202);
      const task = item((res.body as { id: string }).id);
      await expectAttribute(page.locator('#connection'), 'data-state', 'live');
      await expectText(task.locator('.badge'), 'Running');
      await expectText(task.locator('.badge'), 'Completed');
      await expectText(task.locator('.percent'), '100%');
    },
    30_000,
  );

  it('filters by status and deletes a task', async () => {
    await page.getByRole('radio', { name: 'Cancelled' }).check();
    const rows = page.locator('li.task');
    await expectCount(rows, 1);
    await expectText(rows.first().locator('.badge'), 'Cancelled');
    const id = (await rows.first().getAttribute('data-task-id'))!;
    await rows
      .first()
      .getByRole('button', { name: /^Delete/ })
      .click();
    await expectCount(rows, 0);
    await expectText(page.locator('#list-state'), 'No cancelled tasks.');
    await request(running.app.getHttpServer()).get(`/tasks/${id}`).expect(404);

    await page.getByRole('radio', { name: 'Completed' }).check();
    await expectCount(rows, 5);
    await page.getByRole('radio', { name: 'All' }).check();
    await expectCount(rows, 5);
  }, 30_000);

  it('counts the tasks by status on the chips and names the failed types, as GET /tasks/stats does', async () => {
    const server = running.app.getHttpServer();
    // A ZIP of an upload that does not exist fails for good.
    await request(server)
      .post('/tasks/create-zip')
      .send({ uploads: [randomUUID()] })
      .expect(202);
    const stats = await waitFor(async () => {
      const body = (await request(server).get('/tasks/stats').expect(200)).body as {
        total: number;
        byStatus: Record<string, number>;
        byType: Record<string, Record<string, number>>;
      };
      return body.byStatus.failed && !body.byStatus.pending && !body.byStatus.running ? body : undefined;
    });
    const exactly = (locator: Locator, text: string) =>
      until(
        async () => (await textOf(locator)) === text,
        async () => `expected ${locator} to be ${JSON.stringify(text)}, got ${JSON.stringify(await textOf(locator))}`,
      );
    await exactly(page.locator('[data-status-count=""]'), String(stats.total));
    await exactly(page.locator('[data-status-count="completed"]'), String(stats.byStatus.completed));
    await exactly(page.locator('[data-status-count="failed"]'), String(stats.byStatus.failed));
    // A status with no task shows no count.
    await exactly(page.locator('[data-status-count="compensating"]'), '');
    await exactly(page.locator('#stats-line'), `Failed: create-zip ${stats.byType['create-zip'].failed}`);
  }, 30_000);

  it('looks right: screenshots for the record (test-artifacts/dashboard*.png)', async () => {
    // A mix of states: a failed task, a running one, an expanded one with its timeline.
    const server = running.app.getHttpServer();
    // (An id that is no upload's fails the task; a malformed one would be a 400.)
    const failed = await request(server)
      .post('/tasks/create-zip')
      .send({ uploads: [randomUUID()] })
      .expect(202);
    await expectText(item((failed.body as { id: string }).id).locator('.badge'), 'Failed');
    const countdown = await submitCountdown(100, 100);
    await page.getByRole('tab', { name: 'ZIP files' }).click();
    await page.locator('#create-zip--files').setInputFiles([
      { name: 'report-2024.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(180_000, 7) },
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(52_000, 3) },
    ]);
    const zipTask = page
      .locator('li.task[data-status="completed"]')
      .filter({ has: page.locator('.task-type', { hasText: 'create-zip' }) });
    await zipTask.getByRole('button', { name: /show steps/ }).click();
    await expectText(zipTask.locator('.task-result'), '2 entries');
    await until(
      async () => Number(await item(countdown).getByRole('progressbar').getAttribute('aria-valuenow')) >= 35,
      async () => 'the countdown to reach 35%',
    );
    await page.evaluate(() => document.getElementById('toasts')!.replaceChildren());
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true, animations: 'disabled' });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-mobile.png'), fullPage: true, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'light' });

    await request(server).post(`/tasks/${countdown}/cancel`).expect(202);
    await expectText(item(countdown).locator('.badge'), 'Cancelled');
  }, 30_000);

  // Last: its three tasks would change the counts the tests above expect.
  it('lists the child tasks of a task in its details, with their status', async () => {
    const res = await request(running.app.getHttpServer())
      .post('/tasks/countdown-batch')
      .send({ count: 2, ticks: 1, tickMs: 0 });
    expect(res.status).toBe(202);
    const task = item((res.body as { id: string }).id);
    await expectText(task.locator('.badge').first(), 'Completed');
    await task.getByRole('button', { name: /show steps/ }).click();
    const children = task.locator('.task-children .child');
    await expectCount(children, 2);
    await expectText(children.nth(0), 'countdown');
    await expectText(children.nth(1).locator('.badge'), 'Completed');
  }, 30_000);

  it("follows a child's status live in its parent's details", async () => {
    const server = running.app.getHttpServer();
    const res = await request(server).post('/tasks/countdown-batch').send({ count: 2, ticks: 100, tickMs: 100 });
    expect(res.status).toBe(202);
    const parentId = (res.body as { id: string }).id;
    const parent = item(parentId);
    await expectText(parent.locator('.badge').first(), 'Waiting');
    await parent.getByRole('button', { name: /show steps/ }).click();
    const children = parent.locator('.task-children .child');
    await expectCount(children, 2);
    await expectText(children.nth(0).locator('.badge'), 'Running');
    const view = (await request(server).get(`/tasks/${parentId}`).expect(200)).body as {
      children: Array<{ id: string }>;
    };
    // One child ends; the other keeps the parent waiting, so only the child's own events can tell the page.
    await request(server).post(`/tasks/${view.children[0].id}/cancel`).expect(202);
    await expectText(children.nth(0).locator('.badge'), 'Cancelled');
    await expectText(children.nth(1).locator('.badge'), 'Running');
    await expectText(parent.locator('.badge').first(), 'Waiting');
    // Down the tree: the child's type opens the child's own entry.
    await children
      .nth(1)
      .getByRole('button', { name: /^Open countdown/ })
      .click();
    const child = item(view.children[1].id);
    await expectAttribute(child.getByRole('button', { name: /steps/ }), 'aria-expanded', 'true');
    await expectText(child.locator('.task-type'), 'countdown');
    await request(server).post(`/tasks/${parentId}/cancel`).expect(202);
    await expectText(parent.locator('.badge').first(), 'Cancelled');
  }, 30_000);
});

/** Every kind of field the form builds, and one it cannot (a map: a JSON field of its own). */
const formEchoInput = z
  .object({
    label: z.string().min(1).meta({ title: 'Label' }),
    loud: z.boolean().default(false),
    mode: z.enum(['fast', 'careful']),
    repeat: z.number().int().min(1).max(5).default(2),
    tags: z.array(z.string()).optional(),
    limits: z.object({ maxMs: z.number().optional(), strict: z.boolean().optional() }).optional(),
    weights: z.record(z.string(), z.number()).optional(),
  })
  .meta({ title: 'Form echo', description: 'Returns its input.' });

@Task({ name: 'form-echo', input: formEchoInput })
class FormEchoTask {
  @Step({ order: 1, on: 'api' })
  echo(ctx: StepContext<z.output<typeof formEchoInput>>) {
    return ctx.input;
  }
}

/** A Standard Schema validator with no JSON Schema to offer: the form is one JSON field. */
const opaqueInput: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'spec',
    validate: (value) =>
      typeof value === 'object' && value !== null && 'n' in value ? { value } : { issues: [{ message: 'needs n' }] },
  },
};

@Task({ name: 'opaque', input: opaqueInput })
class OpaqueTask {
  @Step({ order: 1, on: 'api' })
  echo(ctx: StepContext) {
    return ctx.input;
  }
}

/** Submitted only from the app's code: the REST API, hence the page, does not offer it. */
@Task({ name: 'internal-only', http: false })
class InternalOnlyTask {
  @Step({ order: 1, on: 'api' })
  run() {
    return null;
  }
}

(browserAvailable ? describe : describe.skip)("forms built from the task types' input schemas, in a browser", () => {
  let running: RunningApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    running = await startApp({ dashboard: { path: '/' } }, undefined, [FormEchoTask, OpaqueTask, InternalOnlyTask]);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.on('console', (message) => {
      // Chromium logs every 4xx answer; the refusal test expects one.
      if (/status of 400/.test(message.text())) return;
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    await page.goto(running.url + '/');
    await expectText(page.locator('#connection'), 'Live');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  afterEach(() => {
    // No script error, CSP violation or failed request, whatever the test did.
    expect(problems).toEqual([]);
  });

  /** Submits the selected form; answers the response's status and body. */
  async function submit(type: string, button: string): Promise<{ status: number; body: { id: string } }> {
    const response = page.waitForResponse((r) => r.url().endsWith(`/tasks/${type}`) && r.request().method() === 'POST');
    await page.getByRole('button', { name: button }).click();
    const res = await response;
    return { status: res.status(), body: (await res.json()) as { id: string } };
  }

  async function outputOf(id: string): Promise<unknown> {
    await expectText(page.locator(`li.task[data-task-id="${id}"] .badge`), 'Completed');
    const res = await request(running.app.getHttpServer()).get(`/tasks/${id}/result`).expect(200);
    return (res.body as { output: unknown }).output;
  }

  it("has a tab per task type the REST API submits, labelled by its schema's title or its name", async () => {
    const tabs = page.getByRole('tab');
    await expectCount(tabs, 8);
    // In the order the task types were registered.
    expect((await tabs.allTextContents()).sort()).toEqual([
      'Approval',
      'CSV check',
      'Countdown',
      'Fan-out',
      'Form echo',
      'Opaque',
      'Throttled countdown',
      'ZIP files',
    ]);
  });

  it('sends typed values from every kind of field, and leaves empty ones to the defaults', async () => {
    await page.getByRole('tab', { name: 'Form echo' }).click();
    await expectText(page.locator('#panel-form-echo .hint'), 'Returns its input.');
    // Required fields are checked in the page first: nothing is sent without a label.
    await page.getByRole('button', { name: 'Start form echo' }).click();
    expect(
      await page.locator('#form-echo--label').evaluate((input: HTMLInputElement) => input.validity.valueMissing),
    ).toBe(true);

    await page.getByLabel('Label').fill('hello');
    await page.getByLabel('Loud').check();
    await page.getByLabel('Mode').selectOption('careful');
    await expect(page.getByLabel('Repeat').inputValue()).resolves.toBe('2');
    await page.getByLabel('Tags').fill('a\n b \n\nc');
    await page.getByLabel('Max ms').fill('1500');
    await page.getByLabel('Weights').fill('{"x": 1.5}');
    const { status, body } = await submit('form-echo', 'Start form echo');
    expect(status).toBe(202);
    expect(await outputOf(body.id)).toEqual({
      label: 'hello',
      loud: true,
      mode: 'careful',
      repeat: 2,
      tags: ['a', 'b', 'c'],
      limits: { maxMs: 1500 },
      weights: { x: 1.5 },
    });
    // The form is back to its defaults for the next one.
    await expect(page.getByLabel('Label').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Loud').isChecked()).resolves.toBe(false);
  }, 30_000);

  it('a value that is not JSON stays in the page, said at its field', async () => {
    await page.getByLabel('Label').fill('again');
    await page.getByLabel('Mode').selectOption('fast');
    await page.getByLabel('Weights').fill('{x}');
    await page.getByRole('button', { name: 'Start form echo' }).click();
    await expectText(page.locator('#form-echo--weights-error'), 'Not valid JSON');
    await expectAttribute(page.getByLabel('Weights'), 'aria-invalid', 'true');
    await page.getByLabel('Weights').fill('');
    const { status } = await submit('form-echo', 'Start form echo');
    expect(status).toBe(202);
    await expect(page.locator('#form-echo--weights-error').isHidden()).resolves.toBe(true);
  }, 30_000);

  it('without a JSON Schema, the input is one JSON field', async () => {
    await page.getByRole('tab', { name: 'Opaque' }).click();
    await expectCount(page.locator('#form-opaque textarea'), 1);
    await page.getByLabel('Input').fill('{"n": 7, "why": "no schema"}');
    const { status, body } = await submit('opaque', 'Start opaque');
    expect(status).toBe(202);
    expect(await outputOf(body.id)).toEqual({ n: 7, why: 'no schema' });
  }, 30_000);

  it('uploads the one file of a task that takes one, with its other fields as the input', async () => {
    await page.getByRole('tab', { name: 'CSV check' }).click();
    await expectText(page.locator('#panel-csv-import .dropzone-title'), 'Choose a file');
    // The file is required: said in the page, nothing sent.
    await page.getByRole('button', { name: 'Start CSV check' }).click();
    await expectText(page.locator('#form-csv-import .form-error'), 'Choose a file.');

    await page.locator('#csv-import--files').setInputFiles({
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('name;email\nAda;ada@example.com\nBob;\n'),
    });
    await expectText(page.locator('#csv-import--files-summary'), '1 file');
    await page.getByLabel('Delimiter').selectOption(';');
    await page.getByLabel('Required columns').fill('name\nemail');
    const { status, body } = await submit('csv-import', 'Start CSV check');
    expect(status).toBe(202);
    // Two rows, the second without an email: the delimiter and the required columns arrived.
    expect(await outputOf(body.id)).toMatchObject({ rows: 2, invalidRows: 1 });
  }, 30_000);

  it("shows the server's refusal of a field at that field", async () => {
    await page.getByRole('tab', { name: 'ZIP files' }).click();
    await page
      .locator('#create-zip--files')
      .setInputFiles({ name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('a') });
    await page.getByLabel(/Archive name/).fill('report.tar');
    const { status } = await submit('create-zip', 'Start ZIP files');
    expect(status).toBe(400);
    await expectText(page.locator('#create-zip--outputName-error'), 'must be a file name ending in .zip');
    await expectAttribute(page.getByLabel(/Archive name/), 'aria-invalid', 'true');
    await expectText(page.locator('#form-create-zip .form-error'), 'outputName');
    // The files stay chosen: fixing the name is enough.
    await page.getByLabel(/Archive name/).fill('report.zip');
    const again = await submit('create-zip', 'Start ZIP files');
    expect(again.status).toBe(202);
    await outputOf(again.body.id);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.getByRole('tab', { name: 'Form echo' }).click();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-forms.png'), fullPage: true, animations: 'disabled' });
  }, 30_000);
});

/** Polls until `probe` answers something; the deadline bounds the wait, it asserts nothing about speed. */
async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
