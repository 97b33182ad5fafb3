import { flushMicrotasks, ManualClock, MemoryEventBus, MemoryTaskQueue, MemoryTaskStore } from '../../adapters/memory';
import { TaskRegistry, type TaskLogger } from '../../definition';
import type { TaskRecord, TaskStatus } from '../../model';
import type {
  EventBus,
  ObjectStorage,
  ScheduleStore,
  TaskNotifier,
  TaskQueue,
  TaskStore,
  TaskTracer,
} from '../../ports';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../engine-deps';
import { TaskEngine, type SubmitResult } from '../task-engine';

/** A logger that keeps what it is told, for assertions; prints nothing. */
export class RecordingLogger implements TaskLogger {
  readonly lines: Array<{ level: 'log' | 'warn' | 'error'; message: string }> = [];
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  messages(level?: 'log' | 'warn' | 'error'): string[] {
    return this.lines.filter((l) => !level || l.level === level).map((l) => l.message);
  }
}

import { MemoryObjectStorage } from '../../adapters/memory/memory-object-storage';

export interface EngineFixtureOptions {
  /** Instances of `@Task` classes to register. */
  tasks?: object[];
  /** Share these between fixtures to simulate several processes on one database. */
  store?: TaskStore;
  clock?: ManualClock;
  queue?: TaskQueue;
  bus?: EventBus;
  storage?: ObjectStorage;
  settings?: Partial<EngineSettings>;
  /** Told of every event (webhooks); none unless given. */
  notifier?: TaskNotifier;
  /** Jitter source; 1 (the full computed delay) unless told. */
  random?: () => number;
  /** Prefix of the sequential ids (`task-1`, `task-2` ...). */
  idPrefix?: string;
  /** Cron schedules; none (and no scheduler) unless given. */
  schedules?: ScheduleStore;
  /** Spans around submits and step attempts; none unless given. */
  tracer?: TaskTracer;
}

export interface EngineFixture {
  engine: TaskEngine;
  registry: TaskRegistry;
  store: TaskStore;
  queue: TaskQueue;
  bus: EventBus;
  storage: ObjectStorage;
  clock: ManualClock;
  logger: RecordingLogger;
  settings: EngineSettings;
  /** Submits as `owner` (default `alice`). */
  submit(
    type: string,
    input?: unknown,
    extra?: { owner?: string; idempotencyKey?: string; priority?: number },
  ): Promise<SubmitResult>;
  /** The stored task (throws when missing). */
  task(id: string): Promise<TaskRecord>;
  /** Lets every promise chain that needs no time settle. */
  flush(): Promise<void>;
  /** Flushes until the task has `status` or `rounds` flushes passed; returns the task. */
  settle(id: string, status: TaskStatus, rounds?: number): Promise<TaskRecord>;
}

/**
 * Builds a TaskEngine on the in-memory adapters and a ManualClock, with
 * deterministic ids and jitter. Nothing is started: call `engine.start(...)`.
 */
export function createEngineFixture(options: EngineFixtureOptions = {}): EngineFixture {
  const clock = options.clock ?? new ManualClock();
  const store = options.store ?? new MemoryTaskStore();
  const queue = options.queue ?? new MemoryTaskQueue(clock);
  const bus = options.bus ?? new MemoryEventBus();
  const storage = options.storage ?? new MemoryObjectStorage();
  const logger = new RecordingLogger();
  const registry = new TaskRegistry();
  for (const task of options.tasks ?? []) registry.register(task);
  const settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, workerId: 'worker-a', ...options.settings };
  let next = 0;
  const prefix = options.idPrefix ?? 'task';
  const engine = new TaskEngine({
    store,
    queue,
    bus,
    storage,
    clock,
    registry,
    logger,
    settings,
    notifier: options.notifier,
    schedules: options.schedules,
    tracer: options.tracer,
    newId: () => `${prefix}-${++next}`,
    random: options.random ?? (() => 1),
  });

  const task = async (id: string): Promise<TaskRecord> => {
    const record = await store.get(id);
    if (!record) throw new Error(`task ${id} is not in the store`);
    return record;
  };
  const flush = () => flushMicrotasks();
  return {
    engine,
    registry,
    store,
    queue,
    bus,
    storage,
    clock,
    logger,
    settings,
    submit: (type, input = {}, extra = {}) =>
      engine.submit({
        type,
        input,
        owner: extra.owner ?? 'alice',
        idempotencyKey: extra.idempotencyKey,
        priority: extra.priority,
      }),
    task,
    flush,
    settle: async (id, status, rounds = 10) => {
      let record = await task(id);
      for (let i = 0; i < rounds && record.status !== status; i++) {
        await flush();
        record = await task(id);
      }
      return record;
    },
  };
}

/** A promise with its resolve/reject exposed, to hold a step open from a test. */
export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
