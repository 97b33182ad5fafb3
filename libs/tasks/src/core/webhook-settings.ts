import { randomBytes } from 'node:crypto';
import { TASK_EVENT_TYPES, TERMINAL_EVENT_TYPES, type TaskEventType } from '../model';
import { literalTargetProblem } from './target-guard';
import type { WebhookOutbox } from '../ports/webhook-outbox';

/** A global subscription: every task's selected events go to `url`. */
export interface WebhookSubscription {
  url: string;
  /** Events sent to this URL. Default: the module's `events` (plus progress when `includeProgress`). */
  events?: TaskEventType[];
}

/** `webhooks` of the module options. Every field is optional. */
export interface WebhookOptions {
  /** Receive the events of every task, in addition to each task's `callbackUrl`. */
  subscriptions?: WebhookSubscription[];
  /** Events sent to a task's `callbackUrl`. Default: `task.completed`, `task.failed`, `task.cancelled`. */
  events?: TaskEventType[];
  /** Also send `task.progress` (to the callback, and to subscriptions without their own `events`). Default false. */
  includeProgress?: boolean;
  /** Attempts per delivery before it is `exhausted`. Default 8. */
  maxAttempts?: number;
  /** Whole-attempt timeout (DNS, connect, answer). Default 10000. */
  timeoutMs?: number;
  /** Deliver to private, loopback and link-local addresses (`WEBHOOK_ALLOW_PRIVATE=1`). Default false. */
  allowPrivate?: boolean;
  /**
   * HMAC-SHA256 key of `X-Stepwise-Signature` (`WEBHOOK_SECRET`), at least 16
   * characters. Without it: a random per-process secret in embedded mode
   * (receivers cannot verify it), webhooks disabled in distributed mode.
   */
  secret?: string;
  /** Delay before the 2nd attempt; doubles after each failure, with jitter. Default 1000. */
  retryDelayMs?: number;
  /** Cap of the retry delay. Default 300000 (5 minutes). */
  maxRetryDelayMs?: number;
  /** How often due deliveries are polled. Default 500. */
  pollIntervalMs?: number;
  /** Deliveries in flight per process. Default 8. */
  concurrency?: number;
  /**
   * Outbox override. The task store writes each event's deliveries in the
   * event's transaction, so this must read the storage the store writes to
   * (an override of `store` of your own making). Default: the Stepwise
   * database, or the rows of a `MemoryTaskStore` given as `store`.
   */
  outbox?: WebhookOutbox;
}

/** Where the signing key comes from. */
export type WebhookSecretSource = 'configured' | 'ephemeral' | 'none';

/** `webhooks` with every default applied. */
export interface WebhookSettings {
  /** False in distributed mode without a secret: deliveries are recorded as `failed`. */
  enabled: boolean;
  secret: string | null;
  secretSource: WebhookSecretSource;
  subscriptions: Array<{ url: string; events: TaskEventType[] }>;
  /** Events sent to a task's `callbackUrl`. */
  callbackEvents: TaskEventType[];
  maxAttempts: number;
  timeoutMs: number;
  allowPrivate: boolean;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  pollIntervalMs: number;
  concurrency: number;
}

/** What a webhook is sent when its options name no events: the end of the task. */
export const DEFAULT_WEBHOOK_EVENTS: readonly TaskEventType[] = TERMINAL_EVENT_TYPES;

const MIN_SECRET_LENGTH = 16;

/**
 * Applies the defaults and checks the options; throws one error naming
 * every problem (a boot failure beats webhooks that silently never fire).
 */
export function resolveWebhookSettings(
  options: WebhookOptions = {},
  mode: 'embedded' | 'distributed' = 'embedded',
): WebhookSettings {
  const problems: string[] = [];
  const positive = (name: keyof WebhookOptions, fallback: number, min = 1): number => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
    problems.push(`webhooks.${name} must be an integer >= ${min}`);
    return fallback;
  };
  const eventList = (name: string, events: unknown): TaskEventType[] => {
    if (!Array.isArray(events) || events.some((e) => !(TASK_EVENT_TYPES as readonly string[]).includes(e as string))) {
      problems.push(`${name} must list event types among ${TASK_EVENT_TYPES.join(', ')}`);
      return [];
    }
    return [...new Set(events as TaskEventType[])];
  };
  const allowPrivate = options.allowPrivate === true;
  const defaults = eventList('webhooks.events', options.events ?? DEFAULT_WEBHOOK_EVENTS);
  const withProgress = (events: TaskEventType[]) =>
    options.includeProgress && !events.includes('task.progress') ? [...events, 'task.progress' as const] : events;
  const subscriptions = (options.subscriptions ?? []).map((subscription, i) => {
    const name = `webhooks.subscriptions[${i}]`;
    const problem = urlProblem(subscription?.url, allowPrivate);
    if (problem) problems.push(`${name}.url ${problem}`);
    const events = subscription?.events ? eventList(`${name}.events`, subscription.events) : withProgress(defaults);
    return { url: String(subscription?.url), events };
  });

  let secret: string | null = null;
  let secretSource: WebhookSecretSource = 'none';
  if (options.secret !== undefined) {
    if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH) {
      problems.push(`webhooks.secret (WEBHOOK_SECRET) must be at least ${MIN_SECRET_LENGTH} characters`);
    } else {
      secret = options.secret;
      secretSource = 'configured';
    }
  } else if (mode === 'embedded') {
    // One process signs everything: a random key keeps requests signed, but nobody can verify them.
    secret = randomBytes(32).toString('hex');
    secretSource = 'ephemeral';
  } else if (subscriptions.length > 0) {
    problems.push('webhooks.subscriptions need webhooks.secret (WEBHOOK_SECRET) in distributed mode');
  }

  const settings: WebhookSettings = {
    enabled: secret !== null,
    secret,
    secretSource,
    subscriptions,
    callbackEvents: withProgress(defaults),
    maxAttempts: positive('maxAttempts', 8),
    timeoutMs: positive('timeoutMs', 10_000),
    allowPrivate,
    retryDelayMs: positive('retryDelayMs', 1_000),
    maxRetryDelayMs: positive('maxRetryDelayMs', 300_000),
    pollIntervalMs: positive('pollIntervalMs', 500),
    concurrency: positive('concurrency', 8),
  };
  if (problems.length > 0) throw new Error(`Stepwise: invalid webhook options: ${problems.join('; ')}`);
  return settings;
}

function urlProblem(value: unknown, allowPrivate: boolean): string | null {
  if (typeof value !== 'string') return 'must be an absolute http(s) URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an absolute http(s) URL';
  return allowPrivate ? null : literalTargetProblem(url);
}
