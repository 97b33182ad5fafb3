import { randomUUID } from 'node:crypto';
import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { SystemClock } from '../adapters/memory/system-clock';
import { systemResolver, type ResolveHost } from '../core/target-guard';
import { WebhookDispatcher, type WebhookDispatcherDeps } from './webhook-dispatcher';
import type { WebhookDelivery, WebhookOutbox } from '../ports/webhook-outbox';
import { eventually, verifyStepwiseSignature, WebhookReceiver } from './testing/webhook-receiver';
import { resolveWebhookSettings, type WebhookOptions } from '../core/webhook-settings';

const SECRET = 'dispatcher-test-secret-0123456789';

describe('WebhookDispatcher', () => {
  const receivers: WebhookReceiver[] = [];
  const dispatchers: WebhookDispatcher[] = [];
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
  });
  afterEach(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
    for (const receiver of receivers.splice(0)) await receiver.stop();
  });

  async function receiver(r: WebhookReceiver = new WebhookReceiver()): Promise<WebhookReceiver> {
    receivers.push(r);
    return r.start();
  }

  function dispatcher(
    options: WebhookOptions = {},
    extra: Partial<WebhookDispatcherDeps> = {},
    outbox: WebhookOutbox = new MemoryWebhookOutbox(),
  ) {
    const settings = resolveWebhookSettings({
      secret: SECRET,
      allowPrivate: true,
      retryDelayMs: 40,
      maxRetryDelayMs: 200,
      pollIntervalMs: 20,
      timeoutMs: 2_000,
      ...options,
    });
    const logger = { log: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined };
    const instance = new WebhookDispatcher({
      outbox,
      settings,
      clock: new SystemClock(),
      logger,
      workerId: `w-${randomUUID().slice(0, 6)}`,
      ...extra,
    });
    dispatchers.push(instance);
    return { dispatcher: instance, outbox };
  }

  async function enqueue(outbox: WebhookOutbox, url: string, maxAttempts = 5): Promise<{ id: string; taskId: string }> {
    const id = randomUUID();
    const taskId = randomUUID();
    const payload = JSON.stringify({ id, event: 'task.completed', taskId, output: { name: 'ünïcødé.zip' } });
    await outbox.enqueue({
      id,
      taskId,
      event: 'task.completed',
      url,
      target: 'callback',
      payload,
      maxAttempts,
      createdAt: Date.now(),
      nextAttemptAt: Date.now(),
    });
    return { id, taskId };
  }

  const settled = (outbox: WebhookOutbox, taskId: string) =>
    eventually(async () => {
      const [delivery] = await outbox.listForTask(taskId);
      return delivery && delivery.status !== 'pending' ? delivery : undefined;
    });

  it('POSTs the payload with its headers and a signature an independent receiver verifies', async () => {
    const target = await receiver();
    const { dispatcher: d, outbox } = dispatcher();
    const { id, taskId } = await enqueue(outbox, target.url('/hooks/stepwise?x=1'));
    const [stored] = await outbox.listForTask(taskId);
    d.start();
    const delivery = await settled(outbox, taskId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null });
    expect(delivery.deliveredAt).toEqual(expect.any(Number));

    expect(target.requests).toHaveLength(1);
    const [request] = target.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/stepwise?x=1');
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'stepwise-webhooks',
      'x-stepwise-delivery': id,
      'x-stepwise-event': 'task.completed',
      'content-length': String(Buffer.byteLength(stored.payload)),
    });
    expect(request.rawBody.toString('utf8')).toBe(stored.payload);
    const header = request.headers['x-stepwise-signature'] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(Math.abs(Number(/t=(\d+)/.exec(header)![1]) - request.receivedAt / 1000)).toBeLessThan(5);
    expect(verifyStepwiseSignature(request.rawBody, header, SECRET)).toBe(true);
    // The recipe rejects a wrong secret, a changed body, an old timestamp and garbage.
    expect(verifyStepwiseSignature(request.rawBody, header, `${SECRET}x`)).toBe(false);
    expect(verifyStepwiseSignature(Buffer.from(`${request.rawBody} `), header, SECRET)).toBe(false);
    expect(verifyStepwiseSignature(request.rawBody, header, SECRET, 300, Date.now() + 301_000)).toBe(false);
    expect(verifyStepwiseSignature(request.rawBody, 'v1=abc', SECRET)).toBe(false);
    expect(verifyStepwiseSignature(request.rawBody, undefined, SECRET)).toBe(false);
  });

  it('retries with backoff after two failures: 500, 500, then 200, the same bytes freshly signed', async () => {
    const target = await receiver(WebhookReceiver.statuses(500, 500, 200));
    const { dispatcher: d, outbox } = dispatcher({ retryDelayMs: 100 }, { random: () => 1 });
    const { taskId } = await enqueue(outbox, target.url());
    d.start();
    const delivery = await settled(outbox, taskId);

    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
    expect(delivery.history.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 500, 'HTTP 500'],
      [3, 200, null],
    ]);
    expect(target.requests).toHaveLength(3);
    const bodies = new Set(target.requests.map((r) => r.rawBody.toString('hex')));
    expect(bodies.size).toBe(1);
    for (const request of target.requests) {
      expect(verifyStepwiseSignature(request.rawBody, request.headers['x-stepwise-signature'] as string, SECRET)).toBe(
        true,
      );
    }
    // Exponential: 100 ms, then 200 ms (jitter pinned to its maximum).
    const [a, b, c] = target.requests.map((r) => r.receivedAt);
    expect(b - a).toBeGreaterThanOrEqual(90);
    expect(c - b).toBeGreaterThanOrEqual(190);
  });

  it('gives up after maxAttempts: exhausted, with every status code in the log', async () => {
    const target = await receiver(WebhookReceiver.statuses(503, 502, 500, 200));
    const { dispatcher: d, outbox } = dispatcher();
    const { taskId } = await enqueue(outbox, target.url(), 3);
    d.start();
    const delivery = await settled(outbox, taskId);
    expect(delivery).toMatchObject({ status: 'exhausted', attempts: 3, lastStatusCode: 500, nextAttemptAt: null });
    expect(delivery.history.map((a) => a.statusCode)).toEqual([503, 502, 500]);
    expect(target.requests).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/gave up after 3 attempt\(s\): HTTP 500/);
  });

  describe('private targets', () => {
    const loopbackName = 'receiver.stepwise.test';
    // A name the OS cannot resolve: only the vetted address can reach the receiver.
    const resolve: ResolveHost = async (hostname) => {
      if (hostname === loopbackName) return [{ address: '127.0.0.1', family: 4 }];
      return systemResolver(hostname);
    };

    it.each([
      ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/hook`, /127\.0\.0\.1 is a loopback address/],
      ['localhost', (port: number) => `http://localhost:${port}/hook`, /localhost resolves to .+ loopback/],
      ['[::1]', (port: number) => `http://[::1]:${port}/hook`, /::1 is a loopback address/],
      ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/', /link-local/],
      ['a name resolving to loopback', (port: number) => `http://${loopbackName}:${port}/hook`, /resolves to 127/],
    ])('refuses %s without the allow flag: failed at once, nothing sent', async (_name, url, message) => {
      const target = await receiver();
      const { dispatcher: d, outbox } = dispatcher({ allowPrivate: false }, { resolve });
      const { taskId } = await enqueue(outbox, url(target.port));
      d.start();
      const delivery = await settled(outbox, taskId);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: null, nextAttemptAt: null });
      expect(delivery.lastError).toMatch(/^target refused: /);
      expect(delivery.lastError).toMatch(message);
      expect(delivery.lastError).toMatch(/WEBHOOK_ALLOW_PRIVATE=1/);
      expect(target.requests).toHaveLength(0);
    });

    it.each([
      ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/hook`],
      ['localhost', (port: number) => `http://localhost:${port}/hook`],
      ['[::1]', (port: number) => `http://[::1]:${port}/hook`],
      ['a name resolving to loopback', (port: number) => `http://${loopbackName}:${port}/hook`],
    ])('delivers to %s with the allow flag', async (_name, url) => {
      const target = await receiver();
      const { dispatcher: d, outbox } = dispatcher({ allowPrivate: true }, { resolve });
      const { taskId } = await enqueue(outbox, url(target.port));
      d.start();
      expect(await settled(outbox, taskId)).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(target.requests).toHaveLength(1);
    });

    it('connects to the vetted address while keeping the URL host in Host', async () => {
      const target = await receiver();
      const { dispatcher: d, outbox } = dispatcher({ allowPrivate: true }, { resolve });
      const { taskId } = await enqueue(outbox, `http://${loopbackName}:${target.port}/pinned`);
      d.start();
      await settled(outbox, taskId);
      expect(target.requests[0].headers.host).toBe(`${loopbackName}:${target.port}`);
    });
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const target = await receiver(
      new WebhookReceiver((n, _req, res) => res.writeHead(302, { location: `/elsewhere-${n}` }).end()),
    );
    const { dispatcher: d, outbox } = dispatcher();
    const { taskId } = await enqueue(outbox, target.url('/hook'), 2);
    d.start();
    const delivery = await settled(outbox, taskId);
    expect(delivery).toMatchObject({ status: 'exhausted', attempts: 2, lastStatusCode: 302 });
    expect(delivery.lastError).toBe('HTTP 302: redirect to /elsewhere-1 not followed');
    expect(target.requests.map((r) => r.path)).toEqual(['/hook', '/hook']);
  });

  it('counts a timeout as a failed attempt, then retries', async () => {
    const target = await receiver(
      new WebhookReceiver((n, _req, res) => {
        if (n > 0) res.writeHead(200).end(); // the first request is left hanging
      }),
    );
    const { dispatcher: d, outbox } = dispatcher({ timeoutMs: 300 });
    const { taskId } = await enqueue(outbox, target.url());
    d.start();
    const delivery = await settled(outbox, taskId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(delivery.history.map((a) => [a.statusCode, a.error])).toEqual([
      [null, 'timed out after 300 ms'],
      [200, null],
    ]);
    expect(delivery.history[0].durationMs).toBeGreaterThanOrEqual(250);
    expect(delivery.history[0].durationMs).toBeLessThan(2_000);
  });

  it('judges an answer whose body never ends by its status, within the timeout', async () => {
    // The receiver said 200 and then stalled: it has the webhook; the timeout only bounds the wait.
    const target = await receiver(
      new WebhookReceiver((_n, _req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      }),
    );
    const { dispatcher: d, outbox } = dispatcher({ timeoutMs: 300 });
    const { taskId } = await enqueue(outbox, target.url());
    d.start();
    expect(await settled(outbox, taskId)).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
  });

  it('records a connection error and retries it', async () => {
    const target = await receiver();
    const port = target.port;
    await target.stop();
    const { dispatcher: d, outbox } = dispatcher({ retryDelayMs: 300 });
    const { taskId } = await enqueue(outbox, `http://127.0.0.1:${port}/hook`);
    d.start();
    const first = await eventually(async () => {
      const [delivery] = await outbox.listForTask(taskId);
      return delivery.attempts === 1 ? delivery : undefined;
    });
    expect(first).toMatchObject({ status: 'pending', lastStatusCode: null });
    expect(first.lastError).toMatch(/ECONNREFUSED/);
    const back = new WebhookReceiver();
    receivers.push(back);
    await back.start(port);
    expect(await settled(outbox, taskId)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('hands in-flight deliveries back on stop, without counting an attempt', async () => {
    const target = await receiver(new WebhookReceiver(() => undefined)); // never answers
    const { dispatcher: d, outbox } = dispatcher({ timeoutMs: 5_000 });
    const { taskId } = await enqueue(outbox, target.url());
    d.start();
    await eventually(() => (target.requests.length === 1 ? true : undefined));
    const started = Date.now();
    await d.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    const [delivery] = await outbox.listForTask(taskId);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 0, leaseOwner: null, history: [] });
  });

  it('sends each delivery once when several processes poll one outbox', async () => {
    const target = await receiver();
    const shared = new MemoryWebhookOutbox();
    const ids = await Promise.all(Array.from({ length: 20 }, () => enqueue(shared, target.url())));
    const all = [dispatcher({}, {}, shared), dispatcher({}, {}, shared), dispatcher({}, {}, shared)];
    for (const { dispatcher: d } of all) d.start();
    for (const { taskId } of ids) await settled(shared, taskId);
    const delivered = target.requests.map((r) => r.headers['x-stepwise-delivery']);
    expect(delivered.sort()).toEqual(ids.map((i) => i.id).sort());
  });

  it('sends at once when kicked instead of waiting for the next poll', async () => {
    const target = await receiver();
    const { dispatcher: d, outbox } = dispatcher({ pollIntervalMs: 60_000 });
    d.start();
    await d.idle();
    const { taskId } = await enqueue(outbox, target.url());
    d.kick();
    const delivery: WebhookDelivery = await settled(outbox, taskId);
    expect(delivery.status).toBe('delivered');
  });

  it('warns once that an embedded per-process secret cannot be verified', async () => {
    const target = await receiver();
    const settings = resolveWebhookSettings({ allowPrivate: true, pollIntervalMs: 20 }, 'embedded');
    expect(settings.secretSource).toBe('ephemeral');
    const outbox = new MemoryWebhookOutbox();
    const d = new WebhookDispatcher({
      outbox,
      settings,
      clock: new SystemClock(),
      logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      workerId: 'w',
    });
    dispatchers.push(d);
    const a = await enqueue(outbox, target.url());
    const b = await enqueue(outbox, target.url());
    d.start();
    await settled(outbox, a.taskId);
    await settled(outbox, b.taskId);
    expect(warnings.filter((w) => /random per-process secret/.test(w))).toHaveLength(1);
    expect(target.requests[0].headers['x-stepwise-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('computes exponential delays with a cap and equal jitter', () => {
    const { dispatcher: low } = dispatcher({ retryDelayMs: 1_000, maxRetryDelayMs: 300_000 }, { random: () => 0 });
    const { dispatcher: high } = dispatcher({ retryDelayMs: 1_000, maxRetryDelayMs: 300_000 }, { random: () => 1 });
    expect([1, 2, 3, 4].map((n) => high.retryDelay(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map((n) => low.retryDelay(n))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(high.retryDelay(20)).toBe(300_000);
    expect(low.retryDelay(20)).toBe(150_000);
  });
});
