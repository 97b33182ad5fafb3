import { MemoryWebhookOutbox } from '../adapters/memory/memory-webhook-outbox';
import { ManualClock } from '../adapters/memory/manual-clock';
import { newTask } from '../adapters/store-contract.spec-helper';
import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import { parseSubmitOptions } from '../http/submit-options';
import { WebhookNotifier } from './webhook-notifier';
import { resolveWebhookSettings, type WebhookOptions } from './webhook-settings';

const SECRET = 'notifier-test-secret-0123456789';
const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 6);

function task(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return { ...newTask(), version: 3, leaseOwner: null, leaseExpiresAt: null, ...overrides };
}

function event(t: TaskRecord, type: TaskEventType, extra: Partial<TaskEvent> = {}): TaskEvent {
  return {
    seq: 7,
    taskId: t.id,
    owner: t.owner,
    type,
    taskType: t.type,
    status: t.status,
    progress: t.progress,
    at: AT,
    ...extra,
  };
}

describe('WebhookNotifier', () => {
  let outbox: MemoryWebhookOutbox;
  let kicks: number;
  let ids: number;

  const notifier = (options: WebhookOptions = {}, mode: 'embedded' | 'distributed' = 'embedded') => {
    const settings = resolveWebhookSettings({ secret: SECRET, ...options }, mode);
    return new WebhookNotifier(
      outbox,
      settings,
      new ManualClock(AT + 10),
      () => kicks++,
      () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    );
  };
  const deliveries = async (t: TaskRecord) => outbox.listForTask(t.id);

  beforeEach(() => {
    outbox = new MemoryWebhookOutbox();
    kicks = 0;
    ids = 0;
  });

  it('enqueues terminal events of the callbackUrl by default, not the others', async () => {
    const n = notifier();
    const t = task({ callbackUrl: 'https://hooks.example.com/done' });
    for (const type of ['task.created', 'task.step', 'task.progress', 'task.retrying'] as const) {
      await n.notify(t, event(t, type));
    }
    expect(await deliveries(t)).toEqual([]);
    expect(kicks).toBe(0);
    for (const type of ['task.completed', 'task.failed', 'task.cancelled'] as const) await n.notify(t, event(t, type));
    const enqueued = await deliveries(t);
    expect(enqueued.map((d) => [d.event, d.url, d.target, d.status, d.maxAttempts])).toEqual([
      ['task.completed', 'https://hooks.example.com/done', 'callback', 'pending', 8],
      ['task.failed', 'https://hooks.example.com/done', 'callback', 'pending', 8],
      ['task.cancelled', 'https://hooks.example.com/done', 'callback', 'pending', 8],
    ]);
    expect(enqueued[0]).toMatchObject({ createdAt: AT + 10, nextAttemptAt: AT + 10 });
    expect(kicks).toBe(3);
  });

  it('adds progress when includeProgress is set', async () => {
    const n = notifier({ includeProgress: true });
    const t = task({ callbackUrl: 'https://hooks.example.com/p', status: 'running', progress: 0.25 });
    await n.notify(t, event(t, 'task.progress', { step: 'work', message: '1 of 4' }));
    await n.notify(t, event(t, 'task.step', { step: 'work', stepStatus: 'completed' }));
    const [progress, ...rest] = await deliveries(t);
    expect(rest).toEqual([]);
    expect(JSON.parse(progress.payload)).toEqual({
      id: progress.id,
      event: 'task.progress',
      taskId: t.id,
      taskType: 'create-zip',
      status: 'running',
      progress: 0.25,
      step: 'work',
      message: '1 of 4',
      at: '2024-01-02T03:04:05.006Z',
    });
  });

  it('builds the body: output for completed, error for failed, the delivery id as id', async () => {
    const n = notifier();
    const done = task({ callbackUrl: 'https://h.example.com/', status: 'completed', progress: 1, output: { n: 1 } });
    await n.notify(done, event(done, 'task.completed'));
    const [completed] = await deliveries(done);
    expect(JSON.parse(completed.payload)).toEqual({
      id: completed.id,
      event: 'task.completed',
      taskId: done.id,
      taskType: 'create-zip',
      status: 'completed',
      progress: 1,
      at: '2024-01-02T03:04:05.006Z',
      output: { n: 1 },
    });
    const error = { name: 'Error', message: 'disk full', code: 'STEP_FAILED', step: 'createZipArchive' };
    const failed = task({ callbackUrl: 'https://h.example.com/', status: 'failed', error });
    await n.notify(failed, event(failed, 'task.failed'));
    const [failure] = await deliveries(failed);
    expect(JSON.parse(failure.payload)).toMatchObject({ event: 'task.failed', status: 'failed', error });
    expect(JSON.parse(failure.payload)).not.toHaveProperty('output');
  });

  it('sends every task to the global subscriptions, each with its own events', async () => {
    const n = notifier({
      subscriptions: [
        { url: 'https://audit.example.com/all' },
        { url: 'https://ops.example.com/failures', events: ['task.failed', 'task.created'] },
      ],
    });
    const withCallback = task({ callbackUrl: 'https://hooks.example.com/mine' });
    const without = task();
    await n.notify(withCallback, event(withCallback, 'task.created'));
    await n.notify(withCallback, event(withCallback, 'task.completed'));
    await n.notify(without, event(without, 'task.failed'));
    expect((await deliveries(withCallback)).map((d) => [d.event, d.url, d.target])).toEqual([
      ['task.created', 'https://ops.example.com/failures', 'subscription'],
      ['task.completed', 'https://hooks.example.com/mine', 'callback'],
      ['task.completed', 'https://audit.example.com/all', 'subscription'],
    ]);
    expect((await deliveries(without)).map((d) => [d.event, d.url])).toEqual([
      ['task.failed', 'https://audit.example.com/all'],
      ['task.failed', 'https://ops.example.com/failures'],
    ]);
    // One body per delivery: each carries its own id.
    const bodies = (await deliveries(without)).map((d) => JSON.parse(d.payload) as { id: string });
    expect(bodies.map((b) => b.id)).toEqual((await deliveries(without)).map((d) => d.id));
  });

  it('records deliveries as failed when webhooks are disabled (distributed mode without a secret)', async () => {
    const settings = resolveWebhookSettings({}, 'distributed');
    expect(settings).toMatchObject({ enabled: false, secret: null, secretSource: 'none' });
    const n = new WebhookNotifier(outbox, settings, new ManualClock(AT), () => kicks++);
    const t = task({ callbackUrl: 'https://hooks.example.com/x' });
    await n.notify(t, event(t, 'task.completed'));
    const [delivery] = await deliveries(t);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 0 });
    expect(delivery.lastError).toMatch(/webhooks are disabled: no WEBHOOK_SECRET/);
    expect(kicks).toBe(0);
  });

  it('forgets a deleted task but keeps its pending terminal notification', async () => {
    const n = notifier({ includeProgress: true });
    const t = task({ callbackUrl: 'https://hooks.example.com/x' });
    await n.notify(t, event(t, 'task.progress'));
    await n.notify(t, event(t, 'task.cancelled'));
    await n.forget(t.id);
    expect((await deliveries(t)).map((d) => [d.event, d.taskDeleted])).toEqual([['task.cancelled', true]]);
  });
});

describe('resolveWebhookSettings', () => {
  it('applies the defaults', () => {
    const settings = resolveWebhookSettings({ secret: SECRET });
    expect(settings).toEqual({
      enabled: true,
      secret: SECRET,
      secretSource: 'configured',
      subscriptions: [],
      callbackEvents: ['task.completed', 'task.failed', 'task.cancelled'],
      maxAttempts: 8,
      timeoutMs: 10_000,
      allowPrivate: false,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 300_000,
      pollIntervalMs: 500,
      concurrency: 8,
    });
  });

  it('uses a random per-process secret in embedded mode, none in distributed mode', () => {
    const a = resolveWebhookSettings({}, 'embedded');
    const b = resolveWebhookSettings({}, 'embedded');
    expect(a).toMatchObject({ enabled: true, secretSource: 'ephemeral' });
    expect(a.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(a.secret).not.toBe(b.secret);
    expect(resolveWebhookSettings({}, 'distributed')).toMatchObject({ enabled: false, secret: null });
    expect(resolveWebhookSettings({ secret: SECRET }, 'distributed')).toMatchObject({ enabled: true });
  });

  it('refuses at boot what would fail silently later, naming every problem', () => {
    const run = () =>
      resolveWebhookSettings(
        {
          secret: 'short',
          maxAttempts: 0,
          timeoutMs: 1.5,
          events: ['task.done' as TaskEventType],
          subscriptions: [{ url: 'ftp://files.example.com' }, { url: 'http://127.0.0.1:9000/hook' }],
        },
        'embedded',
      );
    expect(run).toThrow(/webhooks\.secret \(WEBHOOK_SECRET\) must be at least 16 characters/);
    expect(run).toThrow(/webhooks\.maxAttempts must be an integer >= 1/);
    expect(run).toThrow(/webhooks\.timeoutMs must be an integer >= 1/);
    expect(run).toThrow(/webhooks\.events must list event types/);
    expect(run).toThrow(/subscriptions\[0\]\.url must be an absolute http\(s\) URL/);
    expect(run).toThrow(/subscriptions\[1\]\.url must not target 127\.0\.0\.1 \(loopback\)/);
    expect(() => resolveWebhookSettings({ subscriptions: [{ url: 'https://a.example.com' }] }, 'distributed')).toThrow(
      /subscriptions need webhooks\.secret \(WEBHOOK_SECRET\) in distributed mode/,
    );
    expect(
      resolveWebhookSettings({ allowPrivate: true, subscriptions: [{ url: 'http://127.0.0.1:9000/hook' }] })
        .subscriptions,
    ).toEqual([{ url: 'http://127.0.0.1:9000/hook', events: ['task.completed', 'task.failed', 'task.cancelled'] }]);
  });
});

describe('parseSubmitOptions: callbackUrl policy', () => {
  const refuse = { allowPrivate: false };

  it.each(['http://127.0.0.1:3000/hook', 'http://localhost/hook', 'http://169.254.169.254/', 'http://[::1]/x'])(
    'answers 400 for %s unless private targets are allowed',
    (url) => {
      expect(() => parseSubmitOptions(undefined, url, refuse)).toThrow(/callbackUrl must not target/);
      expect(parseSubmitOptions(undefined, url, { allowPrivate: true }).callbackUrl).toBe(new URL(url).toString());
      // Without a policy (a caller that does not know the module's), the dispatcher's guard decides.
      expect(parseSubmitOptions(undefined, url).callbackUrl).toBe(new URL(url).toString());
    },
  );

  it('accepts public names (resolved and checked at delivery time)', () => {
    expect(parseSubmitOptions(undefined, 'https://hooks.example.com/x', refuse)).toEqual({
      callbackUrl: 'https://hooks.example.com/x',
    });
  });
});
