import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  CHROMIUM,
  launchChromium,
  until,
  expectText,
  expectAttribute,
} from '../../libs/tasks/src/dashboard/testing/browser';
import { Cluster, TERMINAL, type TaskView } from './harness/cluster';

/**
 * The dashboard (`GET /`) in headless Chromium, on a distributed deployment:
 * the page is served by the SECOND API instance and follows tasks that run in
 * a worker process, so every live update crosses processes (worker -> Redis
 * event bus -> api 2 -> Socket.IO -> browser). A task submitted over REST to
 * the FIRST instance shows up on the page live (task.created reaches api 2's
 * owner room through Redis), with no reload of the list.
 */

const ARTIFACTS = join(__dirname, '../../test-artifacts');
const SCREENSHOT = join(ARTIFACTS, 'dashboard-distributed.png');

describe('dashboard on a distributed cluster (2 apis, 1 worker), in Chromium', () => {
  const cluster = new Cluster({ apis: 2, workers: 1 });
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  const websockets: string[] = [];
  /** `GET /tasks?...` list loads the page made (a reload would show up here). */
  const listLoads: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `The distributed dashboard test needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does).`,
      );
    }
    const launching = launchChromium();
    // The browser and the cluster start side by side; afterAll cleans up both, whichever failed.
    const [launched, started] = await Promise.allSettled([launching, cluster.start()]);
    if (launched.status === 'fulfilled') browser = launched.value;
    if (launched.status === 'rejected') throw launched.reason;
    if (started.status === 'rejected') throw started.reason;
    page = await browser!.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('websocket', (ws) => websockets.push(ws.url()));
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (req.method() === 'GET' && url.pathname === '/tasks') listLoads.push(url.search);
    });
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(cluster.apiUrl(1, '/'));
    await expectText(page.locator('#connection'), 'Live', 15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await cluster.stop();
  }, 60_000);

  afterEach(() => {
    // No script error, CSP violation or failed request, whatever the test did.
    expect(problems).toEqual([]);
    expect(cluster.deadProcesses()).toEqual([]);
  });

  const item = (id: string) => page.locator(`li.task[data-task-id="${id}"]`);

  it('is served by the second api instance, its Socket.IO WebSocket too', () => {
    expect(new URL(page.url()).port).toBe(String(cluster.apiPorts[1]));
    expect(cluster.apiPorts[1]).not.toBe(cluster.apiPorts[0]);
    expect(websockets).toHaveLength(1);
    expect(websockets[0]).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:${cluster.apiPorts[1]}/socket\\.io/\\?EIO=4&transport=websocket`),
    );
  });

  it('runs a countdown submitted from the form: the bar fills live from the worker and the badge turns completed', async () => {
    await cluster.diagnose(async () => {
      await recordProgress(page);
      await page.getByRole('tab', { name: 'Countdown', exact: true }).click();
      // The throttled countdown's panel has the same fields.
      const panel = page.locator('#panel-countdown');
      await panel.getByLabel('Ticks').fill('10');
      await panel.getByLabel('Tick length (ms)').fill('150');
      const response = page.waitForResponse(
        (r) => r.url().endsWith('/tasks/countdown') && r.request().method() === 'POST',
      );
      await page.getByRole('button', { name: 'Start countdown', exact: true }).click();
      const res = await response;
      expect(res.status()).toBe(202);
      // The form posts to the instance that served the page.
      expect(new URL(res.url()).port).toBe(String(cluster.apiPorts[1]));
      const id = ((await res.json()) as { id: string }).id;

      const task = item(id);
      await expectText(task.locator('.badge'), 'Running');
      await expectText(task.locator('.badge'), 'Completed', 15_000);
      const bar = task.getByRole('progressbar');
      await expectAttribute(bar, 'aria-valuenow', '100');
      await expectText(task.locator('.percent'), '100%');
      await expectText(task.locator('.task-message'), 'tick 10/10');
      const seen = await page.evaluate(
        (taskId) => (window as unknown as { seen: Record<string, number[]> }).seen[taskId] ?? [],
        id,
      );
      // Intermediate values arrived live, in order, before the end.
      expect(seen.filter((value) => value > 0 && value < 100).length).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(100);
      await expect(task.getByRole('button', { name: /^Cancel/ }).isHidden()).resolves.toBe(true);

      // The step ran in the worker process, not in an api instance: the events came over Redis.
      const claims = await cluster.claims(id);
      expect(claims.map((c) => c.pid)).toEqual([cluster.workers[0]!.pid]);
      expect((await cluster.get(id)).status).toBe('completed');
    })();
  }, 45_000);

  it('shows a task submitted over REST to the first instance, live, without reloading the list', async () => {
    await cluster.diagnose(async () => {
      const loadsBefore = listLoads.length;
      const submitted: TaskView = await cluster.submit('countdown', { ticks: 6, tickMs: 150 }); // instance 0
      const task = item(submitted.id);
      await task.waitFor({ state: 'attached', timeout: 10_000 });
      await expectText(task.locator('.task-type'), 'countdown');
      await expectText(task.locator('.badge'), 'Completed', 15_000);
      await expectText(task.locator('.percent'), '100%');
      await expectAttribute(task.getByRole('progressbar'), 'aria-valuenow', '100');
      // Nothing but live events put it there: the page did not list the tasks again.
      expect(listLoads.slice(loadsBefore)).toEqual([]);
      expect((await cluster.waitForStatus(submitted.id, TERMINAL)).status).toBe('completed');
    })();
  }, 30_000);

  it('looks right: a screenshot for the record (test-artifacts/dashboard-distributed.png)', async () => {
    await cluster.diagnose(async () => {
      // A running countdown from instance 0 next to the finished ones.
      const running = await cluster.submit('countdown', { ticks: 100, tickMs: 100 });
      const bar = item(running.id).getByRole('progressbar');
      await until(
        async () => Number((await bar.count()) ? await bar.getAttribute('aria-valuenow') : 0) >= 30,
        async () => `the countdown to reach 30% (at ${await bar.getAttribute('aria-valuenow').catch(() => '?')})`,
        15_000,
      );
      await page.evaluate(() => document.getElementById('toasts')!.replaceChildren());
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' });
      expect(existsSync(SCREENSHOT)).toBe(true);

      // Cancelled over REST on instance 0: the page on instance 1 sees it.
      const res = await cluster.fetch(`/tasks/${running.id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(202);
      await expectText(item(running.id).locator('.badge'), 'Cancelled');
    })();
  }, 45_000);
});

/** Records every value the tasks' progress bars show, from now on (`window.seen[taskId]`). */
async function recordProgress(page: Page): Promise<void> {
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
