import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, expectText, launchChromium, until } from '../../libs/tasks/src/dashboard/testing/browser';
import { AppProcess, freePort } from '../support/api-process';
import { buildOnce } from '../support/build';

const SECRET = 'dashboard-test-secret-0123456789abcdef';
const token = (sub: string) =>
  new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

/**
 * The dashboard of the shipped API under TASKS_AUTH=jwt, in Chromium: the
 * page is public, its data is not; the user signs in with a token, which
 * its fetches send as a bearer, its socket as auth.token, and its download
 * links through fetch. /docs declares the schemes for Swagger UI's Authorize.
 */
describe('dashboard and /docs behind authentication', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-dash-auth-'));
  let app: AppProcess;
  let url: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install -y chromium)`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = new AppProcess(`${buildOnce()}/apps/api/src/main.js`, {
      PORT: String(port),
      DATA_DIR: dataDir,
      TASKS_AUTH: 'jwt',
      TASKS_JWT_SECRET: SECRET,
    });
    await app.start(async () => (await fetch(`${url}/health/live`)).ok, 60_000);
    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // Failed calls of the page, but the 401s that make it ask for a token, and Socket.IO's own
    // transport requests (a reconnection may race a closing long-poll: a 400 engine.io retries).
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      if (response.status() >= 400 && response.status() !== 401 && !pathname.startsWith('/socket.io/')) {
        problems.push(`${response.status()} ${response.request().method()} ${pathname}`);
      }
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the page, asks for a token, then lists, follows and downloads with it', async () => {
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/tasks`)).status).toBe(401);
    await page.goto(`${url}/`);
    await until(
      async () => page.locator('#sign-in').isVisible(),
      async () => 'the sign-in form to show',
    );
    await expectText(page.locator('#connection'), 'Sign in');

    const alice = await token('alice');
    const form = new FormData();
    form.append('files', new Blob(['hello from alice']), 'hello.txt');
    form.append('outputName', 'bundle.zip');
    const submitted = await fetch(`${url}/tasks/create-zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: form,
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    // Somebody else's task, never shown to alice.
    const bob = await fetch(`${url}/tasks/countdown`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('bob')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 1, tickMs: 1 }),
    });
    const bobId = ((await bob.json()) as { id: string }).id;

    await page.locator('#credential').fill(alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.locator('#connection'), 'Live');
    await expectText(page.locator(`li.task[data-task-id="${id}"] .badge`), 'Completed');
    expect(await page.locator(`li.task[data-task-id="${bobId}"]`).count()).toBe(0);

    // Live over the socket, with the token as its auth payload.
    const live = await fetch(`${url}/tasks/countdown`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticks: 3, tickMs: 100 }),
    });
    const liveId = ((await live.json()) as { id: string }).id;
    await expectText(page.locator(`li.task[data-task-id="${liveId}"] .badge`), 'Completed');

    const download = page.waitForEvent('download');
    await page.locator(`li.task[data-task-id="${id}"] [data-part="download"]`).click();
    expect((await download).suggestedFilename()).toBe('bundle.zip');

    // The generated ZIP form uploads (XMLHttpRequest, multipart) with the token too.
    await page.getByRole('tab', { name: 'ZIP files' }).click();
    await page
      .locator('#create-zip--files')
      .setInputFiles([{ name: 'form.txt', mimeType: 'text/plain', buffer: Buffer.from('from the form\n') }]);
    await page.getByLabel(/Archive name/).fill('from-form.zip');
    const response = page.waitForResponse((r) => r.url().endsWith('/tasks/create-zip'));
    await page.getByRole('button', { name: 'Start ZIP files' }).click();
    const uploaded = await response;
    expect(uploaded.status()).toBe(202);
    const formId = ((await uploaded.json()) as { id: string }).id;
    await expectText(page.locator(`li.task[data-task-id="${formId}"] .badge`), 'Completed');
    const second = page.waitForEvent('download');
    await page.locator(`li.task[data-task-id="${formId}"] [data-part="download"]`).click();
    expect((await second).suggestedFilename()).toBe('from-form.zip');
    expect(problems).toEqual([]);
  });

  it('declares the bearer and X-Api-Key schemes in the OpenAPI document, for Swagger UI', async () => {
    const doc = (await (await fetch(`${url}/docs-json`)).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      security: unknown[];
    };
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    });
    expect(doc.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
    await page.goto(`${url}/docs`);
    await expectText(page.locator('.swagger-ui .auth-wrapper'), 'Authorize');
  });
});
