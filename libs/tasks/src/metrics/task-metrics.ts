import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TASK_EVENT_TYPES, type TaskEvent, type TaskRecord } from '../model';
import type { TaskObserver, WebhookAttemptOutcome } from '../ports';

const SECONDS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600];
const OUTCOMES: Partial<Record<TaskEvent['type'], string>> = {
  'task.created': 'submitted',
  'task.completed': 'completed',
  'task.failed': 'failed',
  'task.cancelled': 'cancelled',
};

/**
 * Stepwise's Prometheus metrics, in a registry of their own (the host's
 * default registry stays the host's). Fed by the events this process
 * records and by the engine's observer; each process exposes what it did.
 */
export class TaskMetrics implements TaskObserver {
  readonly registry = new Registry();
  private readonly tasks = new Counter({
    name: 'stepwise_tasks_total',
    help: 'Tasks by type and outcome (submitted, completed, failed, cancelled)',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });
  private readonly taskDuration = new Histogram({
    name: 'stepwise_task_duration_seconds',
    help: 'Submit to end of finished tasks, by type and outcome',
    labelNames: ['type', 'outcome'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly stepDuration = new Histogram({
    name: 'stepwise_step_duration_seconds',
    help: 'Start to end of a step, by type, step and status (completed, failed)',
    labelNames: ['type', 'step', 'status'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly queueLag = new Histogram({
    name: 'stepwise_queue_lag_seconds',
    help: "Submit to the first step's start, by type",
    labelNames: ['type'],
    buckets: SECONDS,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'stepwise_step_retries_total',
    help: 'Step attempts that failed and were scheduled again, by type and step',
    labelNames: ['type', 'step'],
    registers: [this.registry],
  });
  private readonly leases = new Counter({
    name: 'stepwise_leases_recovered_total',
    help: 'Tasks whose worker died, found by the sweeper and dispatched again',
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: 'stepwise_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered, retrying, failed, exhausted) and event',
    labelNames: ['outcome', 'event'],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'stepwise_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'stepwise_http_request_duration_seconds',
    help: 'HTTP request durations by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'stepwise_' });
  }

  /** Every event type: the hook that feeds {@link record}. */
  static readonly EVENTS = new Set(TASK_EVENT_TYPES);

  /** Counts one recorded event of `task` (the task as the event left it). */
  record(event: TaskEvent, task: TaskRecord): void {
    const outcome = OUTCOMES[event.type];
    if (outcome) {
      this.tasks.inc({ type: task.type, outcome });
      if (outcome !== 'submitted' && task.finishedAt !== null) {
        this.taskDuration.observe({ type: task.type, outcome }, seconds(task.finishedAt - task.createdAt));
      }
      return;
    }
    if (event.type === 'task.retrying' && event.step) this.retries.inc({ type: task.type, step: event.step });
    if (event.type !== 'task.step' || !event.step) return;
    const step = task.steps.find((s) => s.name === event.step);
    if (!step) return;
    if (event.stepStatus === 'running' && step.attempts === 1 && task.steps[0]?.name === step.name && task.startedAt) {
      this.queueLag.observe({ type: task.type }, seconds(task.startedAt - task.createdAt));
    }
    if ((event.stepStatus === 'completed' || event.stepStatus === 'failed') && step.startedAt && step.finishedAt) {
      this.stepDuration.observe(
        { type: task.type, step: step.name, status: event.stepStatus },
        seconds(step.finishedAt - step.startedAt),
      );
    }
  }

  leasesRecovered(count: number): void {
    this.leases.inc(count);
  }

  webhookAttempt(outcome: WebhookAttemptOutcome, event: string): void {
    this.webhooks.inc({ outcome, event });
  }
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;
