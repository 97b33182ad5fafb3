/** Injection tokens of the ports, for users who override an adapter or read one. */
export const TASK_STORE = Symbol.for('stepwise:TaskStore');
export const TASK_QUEUE = Symbol.for('stepwise:TaskQueue');
export const EVENT_BUS = Symbol.for('stepwise:EventBus');
export const OBJECT_STORAGE = Symbol.for('stepwise:ObjectStorage');
export const CLOCK = Symbol.for('stepwise:Clock');
export const OWNER_RESOLVER = Symbol.for('stepwise:OwnerResolver');
export const TASK_REGISTRY = Symbol.for('stepwise:TaskRegistry');
/** The resolved options (defaults applied). */
export const RESOLVED_OPTIONS = Symbol.for('stepwise:ResolvedOptions');
/** Optional notifier told of every recorded event (webhooks). */
export const TASK_NOTIFIER = Symbol.for('stepwise:TaskNotifier');
/** Optional `TaskObserver` (metrics), provided by a feature module. */
export const TASK_OBSERVER = Symbol.for('stepwise:TaskObserver');
/** The `@OnTaskEvent` hooks of this process, found by the explorer. */
export const EVENT_HOOKS = Symbol.for('stepwise:EventHooks');
/** The resolved webhook settings (a `WebhookSettings`): callback rules, secret, subscriptions. */
export const WEBHOOK_SETTINGS = Symbol.for('stepwise:WebhookSettings');
/** The registry of finished uploads (`UploadStore`): steps read uploads through it. */
export const UPLOAD_STORE = Symbol.for('stepwise:UploadStore');
/** Stepwise's own TypeORM `DataSource` (SQLite or PostgreSQL), or null when the store is an override. */
export const STEPWISE_DATA_SOURCE = Symbol.for('stepwise:DataSource');
/**
 * The queue a feature module runs Stepwise on, from the host app's own queue
 * infrastructure (a `HostQueue`: `TaskModule.forFeature(tasks, { bullmq: true })`
 * provides it on the app's `BullModule`). Absent otherwise.
 */
export const HOST_QUEUE = Symbol.for('stepwise:HostQueue');
/** The cron schedules' store (`ScheduleStore`): on Stepwise's database, or in memory with a store override. */
export const SCHEDULE_STORE = Symbol.for('stepwise:ScheduleStore');
/** Where API keys are kept (`ApiKeyStore`): Stepwise's database, or memory. */
export const API_KEY_STORE = Symbol.for('stepwise:ApiKeyStore');
/** The `routePrefix` the REST routes are mounted under, normalized (`''` or `/api`): for the middleware features bind to paths. */
export const ROUTE_PREFIX = Symbol.for('stepwise:RoutePrefix');
/** The rate limiter (`RateLimiter`), or null when `rateLimit` limits nothing or the process serves no HTTP. */
export const RATE_LIMITER = Symbol.for('stepwise:RateLimiter');
