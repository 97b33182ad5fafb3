import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExampleTasksModule } from '@stepwise/examples';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, until, expectText, expectAttribute, expectCount } from './testing/browser';
import request from 'supertest';
import { type TaskModuleOptions } from '../core';
import { TaskModule } from '../task.module';
import { TaskEventsGateway } from '../realtime/task-events.gateway';
import { DASHBOARD_CSP } from './dashboard.controller';
import { escapeHtml } from './dashboard-page';

const ARTIFACTS = join(__dirname, '../../../../test-artifacts');

interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

async function startApp(
  options: TaskModuleOptions = {},
  configure?: (app: INestApplication) => void,
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

describe('dashboard over HTTP', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp();
  });
  afterAll(() => running?.close());

  it('GET / answers the page, with its landmarks and a same-origin CSP', async () => {
    const res = await request(running.app.getHttpServer()).get('/').expect(200);
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
    expect(res.headers['cache-control']).toBe('no-cache');

    const html = res.text;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<html lang="en">');
    for (const landmark of ['<header class="app-header">', '<main class="layout">', '<footer class="app-footer">']) {
      expect(html).toContain(landmark);
    }
    expect(html).toContain('role="tablist"');
    expect(html).toContain('id="zip-form"');
    expect(html).toContain('id="countdown-form"');
    expect(html).toContain('id="task-list"');
    expect(html).toContain('<legend class="visually-hidden">Filter by status</legend>');
    for (const status of ['pending', 'running', 'paused', 'compensating', 'completed', 'failed', 'cancelled']) {
      expect(html).toContain(`name="status-filter" value="${status}"`);
    }
    expect(html).toContain('role="progressbar"');
    // Every input has a label.
    for (const [, id] of html.matchAll(/<input id="([^"]+)"/g)) expect(html).toContain(`for="${id}"`);
    // Scripts and styles come from files only: the CSP would block anything inline.
    expect(html).toContain('<script src="/socket.io/socket.io.min.js" defer></script>');
    expect(html).toContain('<script src="/dashboard.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/dashboard.css">');
    expect(html.match(/<script\b[^>]*>/g)?.every((tag) => / src="/.test(tag))).toBe(true);
    expect(html).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
  });

  it('GET /dashboard.js serves the script, valid JavaScript', async () => {
    const res = await request(running.app.getHttpServer()).get('/dashboard.js').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript; charset=utf-8/);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(() => new Script(res.text, { filename: 'dashboard.js' })).not.toThrow();
    expect(res.text).toContain("socket.emit('subscribe'");
    // Task data reaches the DOM through textContent only.
    expect(res.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('GET /dashboard.css serves the stylesheet; assets revalidate with their ETag', async () => {
    const server = running.app.getHttpServer();
    const res = await request(server).get('/dashboard.css').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/css; charset=utf-8/);
    expect(res.text).toContain('.task-list');
    const etag = res.headers['etag'];
    expect(etag).toMatch(/^"[\w-]+"$/);
    await request(server).get('/dashboard.css').set('If-None-Match', etag).expect(304);
  });

  it('the Socket.IO browser client is served by Socket.IO itself', async () => {
    const res = await request(running.app.getHttpServer()).get('/socket.io/socket.io.min.js').expect(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.text.length).toBeGreaterThan(10_000);
  });

  it('is left out of nothing else: the REST API still answers next to it', async () => {
    await request(running.app.getHttpServer()).get('/tasks?limit=1').expect(200);
  });

  it('escapes what it writes into the page', () => {
    expect(escapeHtml(`"><script>alert('x')</script>&`)).toBe(
      '&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;',
    );
  });
});

describe('dashboard options', () => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('`dashboard: false` leaves GET / and the assets to the host (404 here)', async () => {
    running = await startApp({ dashboard: false });
    const server = running.app.getHttpServer();
    await request(server).get('/').expect(404);
    await request(server).get('/dashboard.js').expect(404);
    await request(server).get('/dashboard.css').expect(404);
  });

  it('follows a global prefix and the Socket.IO path', async () => {
    running = await startApp({ realtime: { path: '/live', progressThrottleMs: 20 } }, (app) =>
      app.setGlobalPrefix('api'),
    );
    const server = running.app.getHttpServer();
    const html = (await request(server).get('/api').expect(200)).text;
    expect(html).toContain('data-base="/api"');
    expect(html).toContain('<script src="/api/dashboard.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/api/dashboard.css">');
    expect(html).toContain('<script src="/live/socket.io.min.js" defer></script>');
    await request(server).get('/api/dashboard.js').expect(200);
    await request(server).get('/live/socket.io.min.js').expect(200);
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
    await page.goto(running.url + '/');
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
    await page.getByRole('tab', { name: 'Countdown' }).click();
    await page.getByLabel('Ticks').fill(String(ticks));
    await page.getByLabel('Tick length (ms)').fill(String(tickMs));
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/tasks/countdown') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Start countdown' }).click();
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
    await page.locator('#zip-files').setInputFiles([
      { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, dashboard\n') },
      { name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b\n1,2\n') },
    ]);
    await expectText(page.locator('#zip-summary'), '2 files');
    await page.getByLabel(/Archive name/).fill('bundle');
    const response = page.waitForResponse((r) => r.url().endsWith('/tasks/create-zip'));
    await page.getByRole('button', { name: 'Create ZIP' }).click();
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

  it('looks right: screenshots for the record (test-artifacts/dashboard*.png)', async () => {
    // A mix of states: a failed task, a running one, an expanded one with its timeline.
    const server = running.app.getHttpServer();
    const failed = await request(server)
      .post('/tasks/create-zip')
      .send({ uploads: ['no-such-upload'] });
    if (failed.status === 202) await expectText(item((failed.body as { id: string }).id).locator('.badge'), 'Failed');
    const countdown = await submitCountdown(100, 100);
    await page.getByRole('tab', { name: 'ZIP files' }).click();
    await page.locator('#zip-files').setInputFiles([
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
});
