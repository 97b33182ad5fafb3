import type { TaskLogger, TaskRegistry } from '../definition';
import type { EventHooks } from './event-hooks';
import type {
  Clock,
  EventBus,
  ObjectStorage,
  TaskNotifier,
  TaskObserver,
  TaskQueue,
  ScheduleStore,
  TaskStore,
  TaskTracer,
  UploadStore,
} from '../ports';

/** Tunables of the engine; every one has a default (see {@link DEFAULT_ENGINE_SETTINGS}). */
export interface EngineSettings {
  /** Unique id of this process as a lease owner. */
  workerId: string;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  /** Heartbeat period; a third of the lease by default. */
  heartbeatMs: number;
  /** Sweeper period. */
  sweepIntervalMs: number;
  /** A pending task not claimed within this time is dispatched again. */
  pendingGraceMs: number;
  /** Parallel tasks per queue and placement in this process. */
  concurrency: number;
  /** Minimum time between two progress writes of one task. */
  progressThrottleMs: number;
  /**
   * An aborted step (cancel, step or task timeout, shutdown, lost lease) or a
   * compensation stopped by a lost lease gets this long to settle; one that
   * ignores its signal longer is abandoned: recorded, left running, its slot
   * kept busy, its step compensated as possibly done.
   */
  abortGraceMs: number;
  /** Running steps get this long to finish on shutdown before they are handed over. */
  shutdownGraceMs: number;
  /** Default retention of finished tasks, when the task declares none. */
  retentionMs?: number;
  /** Period of the orphan reconciliation; 0 turns it off. */
  reconcileIntervalMs: number;
  /** Stored objects younger than this are never treated as orphans. */
  orphanGraceMs: number;
  /**
   * Longest wait between two passes of the scheduler (it also wakes at each
   * schedule's next slot): how soon this process sees schedules another one
   * added or resumed. `0` runs no scheduler in this process.
   */
  scheduleIntervalMs: number;
  /** A slot found due later than this after its time was missed: the schedule's `missed` policy decides. */
  scheduleGraceMs: number;
  /**
   * Fairness: at most this many tasks of one owner run at once across every
   * worker, of every type together (a type's `concurrency.perOwner` caps its
   * own tasks besides). Default: no limit.
   */
  maxRunningPerOwner?: number;
}

export const DEFAULT_ENGINE_SETTINGS: Omit<EngineSettings, 'workerId'> = {
  leaseMs: 30_000,
  heartbeatMs: 10_000,
  sweepIntervalMs: 5_000,
  pendingGraceMs: 10_000,
  concurrency: 4,
  progressThrottleMs: 200,
  abortGraceMs: 5_000,
  shutdownGraceMs: 10_000,
  reconcileIntervalMs: 3_600_000,
  orphanGraceMs: 3_600_000,
  scheduleIntervalMs: 5_000,
  scheduleGraceMs: 60_000,
};

/** Everything the kernel needs, all behind ports. */
export interface EngineDeps {
  store: TaskStore;
  queue: TaskQueue;
  bus: EventBus;
  storage: ObjectStorage;
  clock: Clock;
  registry: TaskRegistry;
  /** Optional: told of every recorded event (webhooks). */
  notifier?: TaskNotifier;
  /** Optional: told of what operators count (metrics). */
  observer?: TaskObserver;
  /** Optional: spans around submits and step attempts (OpenTelemetry); none without it. */
  tracer?: TaskTracer;
  /** Optional: the in-process `@OnTaskEvent` hooks, called once per recorded event. */
  hooks?: EventHooks;
  /** Optional: finished resumable uploads, which steps look up through `ctx.uploads`. */
  uploads?: UploadStore;
  /** Optional: cron schedules; without it there are none (the scheduler does nothing). */
  schedules?: ScheduleStore;
  logger: TaskLogger;
  settings: EngineSettings;
  newId(): string;
  random?: () => number;
}
