/** How a webhook delivery attempt ended. */
export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'exhausted';

/**
 * Told of what happens inside the engine that no task event records: what
 * operators count (metrics). Every method is optional and must not throw.
 */
export interface TaskObserver {
  /** The sweeper found tasks whose lease had expired (their worker died) and dispatched them again. */
  leasesRecovered?(count: number): void;
  /** A webhook delivery attempt ended. */
  webhookAttempt?(outcome: WebhookAttemptOutcome, event: string): void;
}
