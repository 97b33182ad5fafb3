import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, expectText, launchChromium } from '../../libs/tasks/src/dashboard/testing/browser';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

/**
 * The shipped API's security headers (helmet, apps/api/src/security-headers.ts)
 * on every kind of route, and the dashboard and Swagger UI still working
 * under them in Chromium, with no CSP violation.
 */
describe('security headers of the shipped API', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-headers-'));
  let app: AppProcess;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, { PORT: String(port), DATA_DIR: dataDir });
    await app.start(async () => (await fetch(`${url}/health/live`)).ok, 60_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const expectHardened = (headers: Headers, label: string) => {
    expect([label, headers.get('x-content-type-options')]).toEqual([label, 'nosniff']);
    expect([label, headers.get('x-frame-options')]).toEqual([label, 'DENY']);
    expect([label, headers.get('content-security-policy')]).toEqual([
      label,
      expect.stringContaining("frame-ancestors 'none'"),
    ]);
    expect([label, headers.get('x-powered-by')]).toEqual([label, null]);
    expect([label, headers.get('referrer-policy')]).toEqual([label, 'no-referrer']);
  };

  it('sends them on REST, errors, downloads, SSE, tus, health, the dashboard and /docs', async () => {
    const created = await fetch(`${url}/tasks/countdown`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 1, tickMs: 1 }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    // The page's versioned files, served by the dashboard's middleware like the page.
    const shell = await (await fetch(`${url}/`)).text();
    const script = /<script type="module" src="([^"]+)"/.exec(shell)?.[1];
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(shell)?.[1];
    expect([script, stylesheet]).toEqual([expect.stringMatching(/^\/assets\//), expect.stringMatching(/^\/assets\//)]);
    const calls: Array<[string, string, RequestInit?]> = [
      ['submit', '/tasks/countdown', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['list', '/tasks'],
      ['status', `/tasks/${id}`],
      ['404', '/tasks/00000000-0000-4000-8000-000000000000'],
      ['400', '/tasks/not-an-id'],
      ['unknown route', '/nowhere'],
      ['download (409 or 404)', `/tasks/${id}/download`],
      ['tus', '/uploads', { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' } }],
      ['health', '/health/live'],
      ['dashboard', '/'],
      ['dashboard script', script as string],
      ['dashboard stylesheet', stylesheet as string],
      ['docs', '/docs'],
      ['docs json', '/docs-json'],
    ];
    for (const [label, path, init] of calls) {
      const res = await fetch(`${url}${path}`, init);
      await res.arrayBuffer();
      expectHardened(res.headers, label);
    }
    const sse = await fetch(`${url}/tasks/${id}/events`, { headers: { accept: 'text/event-stream' } });
    expectHardened(sse.headers, 'sse');
    await sse.body?.cancel();
  });

  describe('in Chromium', () => {
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install -y chromium)`);
      browser = await launchChromium();
      page = await browser.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    }, 60_000);

    afterEach(() => {
      expect(problems).toEqual([]);
    });

    it('runs the dashboard: live over Socket.IO, a task followed to its end', async () => {
      await page.goto(`${url}/`);
      await expectText(page.locator('#connection'), 'Live');
      const res = await fetch(`${url}/tasks/countdown`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ticks: 3, tickMs: 50 }),
      });
      const { id } = (await res.json()) as { id: string };
      await expectText(page.locator(`li.task[data-task-id="${id}"] .badge`), 'Completed');
    });

    it('renders Swagger UI at /docs', async () => {
      await page.goto(`${url}/docs`);
      await expectText(page.locator('.swagger-ui .info .title'), 'Stepwise');
      await expectText(page.locator('.swagger-ui'), '/tasks/{id}');
    });
  });
});
