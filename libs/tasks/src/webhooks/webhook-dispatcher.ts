import type { TaskLogger } from '../definition';
import type { Clock, TaskObserver, TraceCarrier } from '../ports';
import { tracedDelivery } from '../adapters/otel/traced-webhook';
import { TargetRefusedError, type ResolveHost } from '../core/target-guard';
import type { WebhookDelivery, WebhookOutcome, WebhookOutbox } from '../ports/webhook-outbox';
import { sendWebhook, type WebhookRequest, type WebhookResponse } from './webhook-sender';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';
import type { WebhookSettings } from '../core/webhook-settings';

export interface WebhookDispatcherDeps {
  outbox: WebhookOutbox;
  settings: WebhookSettings;
  clock: Clock;
  logger: TaskLogger;
  /** Lease owner id of this process. */
  workerId: string;
  random?: () => number;
  /** Overrides the HTTP call (tests). */
  send?: (request: WebhookRequest) => Promise<WebhookResponse>;
  /** Overrides DNS (tests). */
  resolve?: ResolveHost;
  /** Told of each attempt's outcome (metrics). */
  observer?: TaskObserver;
}

/**
 * Sends due deliveries: polls the outbox every `pollIntervalMs` (and at once
 * when this process enqueues), leases up to `concurrency` deliveries, POSTs
 * them signed, records each attempt. A failure is retried with exponential
 * backoff and jitter until `maxAttempts`; a refused target fails at once.
 * Runs in every process: the lease keeps two processes off one delivery.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private running = false;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private cancelTimer: (() => void) | undefined;
  private warnedEphemeral = false;

  constructor(private readonly deps: WebhookDispatcherDeps) {}

  /** Deliveries stay leased for this long: a whole attempt plus a margin. */
  get leaseMs(): number {
    return this.deps.settings.timeoutMs * 2 + 5_000;
  }

  start(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.running = true;
    this.poll();
  }

  /** Polls now rather than at the next tick (something was just enqueued). */
  kick(): void {
    if (!this.running) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.cancelTimer?.();
    this.poll();
  }

  /** Stops polling, aborts attempts in flight and hands their deliveries back (no attempt counted). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.stopping.abort(new Error('shutting down'));
    await this.polling;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** One poll: claims what fits and starts sending it; resolves once claimed, not once sent. */
  async pollOnce(): Promise<number> {
    const free = this.deps.settings.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const { outbox, clock, workerId } = this.deps;
    const claimed = await outbox.claimDue(clock.now(), workerId, this.leaseMs, free);
    for (const delivery of claimed) {
      const sending = this.deliver(delivery).finally(() => {
        this.inFlight.delete(delivery.id);
        // A slot is free: there may be more due work.
        this.kick();
      });
      this.inFlight.set(delivery.id, sending);
    }
    return claimed.length;
  }

  /** Resolves when nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.polling || this.inFlight.size > 0) {
      await this.polling;
      await Promise.allSettled([...this.inFlight.values()]);
    }
  }

  private poll(): void {
    this.pollAgain = false;
    this.polling = this.pollOnce()
      .then(() => undefined)
      .catch((error) => this.deps.logger.warn(`webhook poll failed: ${String(error)}`))
      .finally(() => {
        this.polling = undefined;
        if (!this.running) return;
        if (this.pollAgain) this.poll();
        else this.cancelTimer = this.deps.clock.setTimer(this.deps.settings.pollIntervalMs, () => this.poll());
      });
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const { clock, outbox, workerId, logger } = this.deps;
    const attempt = delivery.attempts + 1;
    const startedAt = clock.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let outcome: WebhookOutcome;
    try {
      const about = { id: delivery.id, event: delivery.event, taskId: delivery.taskId, attempt };
      const response = await tracedDelivery(about, (trace) => this.send(delivery, trace));
      statusCode = response.statusCode;
      if (statusCode >= 200 && statusCode < 300) outcome = { status: 'delivered' };
      else {
        error = describeStatus(response);
        outcome = this.retryOrGiveUp(delivery, attempt);
      }
    } catch (cause) {
      if (this.stopping.signal.aborted) {
        // Shutdown, not the receiver's fault: hand the delivery back to be sent again.
        await outbox.release(delivery.id, workerId).catch(() => undefined);
        return;
      }
      error = cause instanceof Error ? cause.message : String(cause);
      outcome = cause instanceof TargetRefusedError ? { status: 'failed' } : this.retryOrGiveUp(delivery, attempt);
    }
    const now = clock.now();
    const record = { attempt, at: startedAt, statusCode, error, durationMs: Math.max(0, now - startedAt) };
    try {
      const held = await outbox.markResult(delivery.id, workerId, { attempt: record, outcome, now });
      if (!held) logger.warn(`webhook ${delivery.id}: lease lost before its result was recorded`);
    } catch (cause) {
      // The lease expires and the delivery is attempted again: at least once, never lost.
      logger.warn(`webhook ${delivery.id}: could not record attempt ${attempt}: ${String(cause)}`);
      return;
    }
    this.deps.observer?.webhookAttempt?.(outcome.status === 'pending' ? 'retrying' : outcome.status, delivery.event);
    if (outcome.status === 'failed' || outcome.status === 'exhausted') {
      const what = outcome.status === 'failed' ? 'failed' : `gave up after ${attempt} attempt(s)`;
      logger.warn(`webhook ${delivery.event} for task ${delivery.taskId} ${what}: ${error}`);
    }
  }

  private send(delivery: WebhookDelivery, trace: TraceCarrier): Promise<WebhookResponse> {
    const { settings, clock } = this.deps;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'stepwise-webhooks',
      'x-stepwise-delivery': delivery.id,
      'x-stepwise-event': delivery.event,
      // The receiver may continue the trace of the delivery (none without a tracing SDK).
      ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    };
    if (settings.secretSource === 'ephemeral' && !this.warnedEphemeral) {
      this.warnedEphemeral = true;
      this.deps.logger.warn(
        'webhooks are signed with a random per-process secret (no WEBHOOK_SECRET): receivers cannot verify them',
      );
    }
    if (settings.secret) {
      headers[SIGNATURE_HEADER] = signWebhook(settings.secret, delivery.payload, clock.now() / 1000);
    }
    const request: WebhookRequest = {
      url: delivery.url,
      body: delivery.payload,
      headers,
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivate,
      signal: this.stopping.signal,
      ...(this.deps.resolve ? { resolve: this.deps.resolve } : {}),
    };
    return (this.deps.send ?? sendWebhook)(request);
  }

  private retryOrGiveUp(delivery: WebhookDelivery, attempt: number): WebhookOutcome {
    if (attempt >= delivery.maxAttempts) return { status: 'exhausted' };
    return { status: 'pending', nextAttemptAt: this.deps.clock.now() + this.retryDelay(attempt) };
  }

  /** `retryDelayMs * 2^(attempt-1)`, capped, with equal jitter (50-100% of it), like task retries. */
  retryDelay(failedAttempt: number): number {
    const { retryDelayMs, maxRetryDelayMs } = this.deps.settings;
    const capped = Math.min(retryDelayMs * 2 ** (failedAttempt - 1), maxRetryDelayMs);
    const random = this.deps.random ?? Math.random;
    return Math.round(capped / 2 + (random() * capped) / 2);
  }
}

function describeStatus(response: WebhookResponse): string {
  if (response.statusCode >= 300 && response.statusCode < 400) {
    const to = response.location ? ` to ${response.location.slice(0, 200)}` : '';
    return `HTTP ${response.statusCode}: redirect${to} not followed`;
  }
  return `HTTP ${response.statusCode}`;
}
