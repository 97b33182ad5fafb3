import { chromium, type Browser, type Locator } from 'playwright-core';

// The browser tests of the dashboard (npm test and the distributed suite):
// Debian's Chromium through playwright-core, and waits with deadlines, no sleeps.

/** Debian's Chromium; playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium with nothing of its own going to the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function until(check: () => Promise<boolean>, describe: () => Promise<string>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function textOf(locator: Locator): Promise<string> {
  return (await locator.count()) ? ((await locator.first().textContent()) ?? '') : '<absent>';
}

export function expectText(locator: Locator, text: string, timeoutMs?: number): Promise<void> {
  return until(
    async () => (await textOf(locator)).includes(text),
    async () => `expected ${locator} to contain ${JSON.stringify(text)}, got ${JSON.stringify(await textOf(locator))}`,
    timeoutMs,
  );
}

export function expectAttribute(locator: Locator, name: string, value: string): Promise<void> {
  const read = async () => ((await locator.count()) ? await locator.first().getAttribute(name) : null);
  return until(
    async () => (await read()) === value,
    async () => `expected ${locator} [${name}] to be ${value}, got ${await read()}`,
  );
}

export function expectCount(locator: Locator, count: number): Promise<void> {
  return until(
    async () => (await locator.count()) === count,
    async () => `expected ${count} of ${locator}, got ${await locator.count()}`,
  );
}
