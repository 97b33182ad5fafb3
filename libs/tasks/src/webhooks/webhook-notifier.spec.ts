import { ManualClock } from '../adapters/memory/manual-clock';
import { newTask } from '../adapters/testing/store-contract';
import type { TaskEvent, TaskEventType, TaskRecord } from '../model';
import { parseSubmitOptions } from '../http/submit-options';
import type { NewWebhookDelivery } from '../ports';
import { WebhookNotifier } from './webhook-notifier';
import { newDeliveryRecord } from '../ports/webhook-outbox';
import { resolveWebhookSettings, type WebhookOptions } from '../core/webhook-settings';

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
  let kicks: number;
  let ids: number;

  const notifier = (options: WebhookOptions = {}, mode: 'embedded' | 'distributed' = 'embedded') => {
    const settings = resolveWebhookSettings({ secret: SECRET, ...options }, mode);
    return new WebhookNotifier(
      settings,
      new ManualClock(AT + 10),
      () => kicks++,
      () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    );
  };
  /** What the store would write for these events, then tells the notifier they committed. */
  const record = async (n: WebhookNotifier, t: TaskRecord, events: TaskEvent[]): Promise<NewWebhookDelivery[]> => {
    const deliveries = events.flatMap((e) => n.deliveriesFor(t, e));
    for (const e of events) await n.notify(t, e);
    return deliveries;
  };

  beforeEach(() => {
    kicks = 0;
    ids = 0;
  });

  it('plans terminal events of the callbackUrl by default, not the others, and kicks once they committed', async () => {
    const n = notifier();
    const t = task({ callbackUrl: 'https://hooks.example.com/done' });
    const quiet = ['task.created', 'task.step', 'task.progress', 'task.retrying'] as const;
    expect(
      await record(
        n,
        t,
        quiet.map((type) => event(t, type)),
      ),
    ).toEqual([]);
    expect(kicks).toBe(0);
    const terminal = ['task.completed', 'task.failed', 'task.cancelled'] as const;
    const planned = await record(
      n,
      t,
      terminal.map((type) => event(t, type)),
    );
    expect(planned.map((d) => [d.event, d.url, d.target, d.maxAttempts, d.failedWith])).toEqual([
      ['task.completed', 'https://hooks.example.com/done', 'callback', 8, undefined],
      ['task.failed', 'https://hooks.example.com/done', 'callback', 8, undefined],
      ['task.cancelled', 'https://hooks.example.com/done', 'callback', 8, undefined],
    ]);
    expect(planned[0]).toMatchObject({ taskId: t.id, createdAt: AT + 10, nextAttemptAt: AT + 10 });
    expect(kicks).toBe(3);
  });

  it('plans without side effects: nothing is kicked until the write committed', () => {
    const n = notifier();
    const t = task({ callbackUrl: 'https://hooks.example.com/done' });
    expect(n.deliveriesFor(t, event(t, 'task.completed'))).toHaveLength(1);
    expect(kicks).toBe(0);
  });

  it('says which event types it may plan deliveries for', () => {
    expect(notifier().listensTo('task.completed')).toBe(true);
    expect(notifier().listensTo('task.step')).toBe(false);
    expect(notifier({ includeProgress: true }).listensTo('task.progress')).toBe(true);
    const subscribed = notifier({ subscriptions: [{ url: 'https://a.example.com/', events: ['task.step'] }] });
    expect(subscribed.listensTo('task.step')).toBe(true);
  });

  it('adds progress when includeProgress is set', async () => {
    const n = notifier({ includeProgress: true });
    const t = task({ callbackUrl: 'https://hooks.example.com/p', status: 'running', progress: 0.25 });
    const [progress, ...rest] = await record(n, t, [
      event(t, 'task.progress', { step: 'work', message: '1 of 4' }),
      event(t, 'task.step', { step: 'work', stepStatus: 'completed' }),
    ]);
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

  it('builds the body: output for completed, error for failed, the delivery id as id; never the seq', async () => {
    const n = notifier();
    const done = task({ callbackUrl: 'https://h.example.com/', status: 'completed', progress: 1, output: { n: 1 } });
    const [completed] = await record(n, done, [event(done, 'task.completed')]);
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
    // Planned before the write that assigns the seq: the body is the same without one.
    const { seq: _seq, ...unsequenced } = event(done, 'task.completed');
    const [again] = n.deliveriesFor(done, unsequenced);
    expect({ ...JSON.parse(again.payload), id: completed.id }).toEqual(JSON.parse(completed.payload));
    const error = { name: 'Error', message: 'disk full', code: 'STEP_FAILED', step: 'createZipArchive' };
    const failed = task({ callbackUrl: 'https://h.example.com/', status: 'failed', error });
    const [failure] = await record(n, failed, [event(failed, 'task.failed')]);
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
    const mine = await record(n, withCallback, [
      event(withCallback, 'task.created'),
      event(withCallback, 'task.completed'),
    ]);
    const theirs = await record(n, without, [event(without, 'task.failed')]);
    expect(mine.map((d) => [d.event, d.url, d.target])).toEqual([
      ['task.created', 'https://ops.example.com/failures', 'subscription'],
      ['task.completed', 'https://hooks.example.com/mine', 'callback'],
      ['task.completed', 'https://audit.example.com/all', 'subscription'],
    ]);
    expect(theirs.map((d) => [d.event, d.url])).toEqual([
      ['task.failed', 'https://audit.example.com/all'],
      ['task.failed', 'https://ops.example.com/failures'],
    ]);
    // One body per delivery: each carries its own id.
    const bodies = theirs.map((d) => JSON.parse(d.payload) as { id: string });
    expect(bodies.map((b) => b.id)).toEqual(theirs.map((d) => d.id));
    expect(new Set(theirs.map((d) => d.id)).size).toBe(2);
  });

  it('plans deliveries as failed when webhooks are disabled (distributed mode without a secret)', async () => {
    const settings = resolveWebhookSettings({}, 'distributed');
    expect(settings).toMatchObject({ enabled: false, secret: null, secretSource: 'none' });
    const n = new WebhookNotifier(settings, new ManualClock(AT), () => kicks++);
    const t = task({ callbackUrl: 'https://hooks.example.com/x' });
    const [delivery] = await record(n, t, [event(t, 'task.completed')]);
    expect(delivery.failedWith).toMatch(/webhooks are disabled: no WEBHOOK_SECRET/);
    expect(newDeliveryRecord(delivery)).toMatchObject({ status: 'failed', attempts: 0, nextAttemptAt: null });
    expect(kicks).toBe(0);
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
