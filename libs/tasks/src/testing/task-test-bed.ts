import { randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext, type ModuleMetadata, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ManualClock, MemoryEventBus, MemoryObjectStorage, MemoryTaskQueue, MemoryTaskStore } from '../adapters/memory';
import { TaskRegistry, type StepDefinition, type TaskLogger } from '../definition';
import { DEFAULT_ENGINE_SETTINGS, TaskEngine, type EngineSettings } from '../engine';
import { isTerminal, type StepRecord, type TaskEvent, type TaskRecord } from '../model';

/** What a test bed is built from. */
export interface TaskTestBedOptions {
  /** The `@Task` classes under test, created by Nest's dependency injection as in the app. */
  tasks: Type[];
  /** What they inject: providers, and modules to import (as in `@Module()`). */
  providers?: ModuleMetadata['providers'];
  imports?: ModuleMetadata['imports'];
  /** Engine tunables (lease, concurrency, abort grace...). */
  settings?: Partial<Omit<EngineSettings, 'workerId'>>;
}

/** How a task run ended, for assertions. */
export interface TaskRunResult {
  task: TaskRecord;
  status: TaskRecord['status'];
  output: unknown;
  error: TaskRecord['error'];
  /** Each step's record (status, attempts, output, error), by name. */
  steps: Record<string, StepRecord>;
  /** The task's event log, in order. */
  events: TaskEvent[];
  /** The steps whose compensation ran, in the order it ran. */
  compensations: string[];
}

export interface RunOptions {
  owner?: string;
  /** The task's id, when the test must know it first (to put its input files under `tasks/{id}/`). */
  id?: string;
  /** Longest simulated time to let the task take (default 24 h): retries, backoff and timeouts pass at once. */
  maxTimeMs?: number;
}

export interface StepFailure {
  /** The attempts that fail (1-based); default every attempt. */
  attempts?: number[];
  /** What they throw; default an `Error` naming the step and attempt. */
  error?: unknown;
}

/**
 * Runs declared tasks with their Nest providers on in-memory adapters and a
 * fake clock: a test submits, the bed moves time from one due timer to the
 * next until the task ends (retries, backoff, step and task timeouts happen
 * at once), then the result shows status, outputs, attempts, events and the
 * compensations in order. A failure can be injected into a chosen attempt of
 * a step. No database, Redis, S3 or HTTP.
 *
 * ```ts
 * const bed = await TaskTestBed.create({ tasks: [ReportTask], providers: [ReportsRepository] });
 * bed.failStep('report', 'render', { attempts: [1] });
 * const run = await bed.run('report', { month: '2026-11' });
 * expect(run.status).toBe('completed');
 * expect(run.steps.render.attempts).toBe(2);
 * await bed.close();
 * ```
 */
export class TaskTestBed {
  private constructor(
    private readonly app: INestApplicationContext,
    /** The task engine, to submit, cancel, pause or read tasks directly. */
    readonly engine: TaskEngine,
    readonly registry: TaskRegistry,
    readonly clock: ManualClock,
    readonly store: MemoryTaskStore,
    readonly storage: MemoryObjectStorage,
  ) {}

  static async create(options: TaskTestBedOptions): Promise<TaskTestBed> {
    @Module({ imports: options.imports ?? [], providers: [...options.tasks, ...(options.providers ?? [])] })
    class TaskTestBedModule {}
    const app = await NestFactory.createApplicationContext(TaskTestBedModule, { logger: false });
    const registry = new TaskRegistry();
    for (const type of options.tasks) registry.register(app.get(type));
    const clock = new ManualClock();
    const store = new MemoryTaskStore();
    const storage = new MemoryObjectStorage();
    const settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS, ...options.settings, workerId: 'test-bed' };
    const engine = new TaskEngine({
      store,
      queue: new MemoryTaskQueue(clock),
      bus: new MemoryEventBus(),
      storage,
      clock,
      registry,
      logger: SILENT,
      settings,
      newId: randomUUID,
      // The full computed backoff: deterministic runs.
      random: () => 1,
    });
    await engine.start(['api', 'worker']);
    return new TaskTestBed(app, engine, registry, clock, store, storage);
  }

  /** Makes the given attempts of a step throw before the step runs (a flaky service, a bad card). */
  failStep(task: string, step: string, failure: StepFailure = {}): void {
    const definition = this.step(task, step);
    const run = definition.run;
    definition.run = async (ctx) => {
      if (!failure.attempts || failure.attempts.includes(ctx.attempt)) {
        throw failure.error ?? new Error(`injected failure of ${step}, attempt ${ctx.attempt}`);
      }
      return run(ctx);
    };
  }

  /** Submits a task and lets it run to its end on the fake clock; rejects if it does not end in `maxTimeMs`. */
  async run(type: string, input: unknown = {}, options: RunOptions = {}): Promise<TaskRunResult> {
    const owner = options.owner ?? 'test';
    const { task } = await this.engine.submit({ type, input, owner, id: options.id });
    return this.settle(task.id, owner, options.maxTimeMs);
  }

  /** Lets an already submitted task run to its end, then describes it. */
  async settle(id: string, owner = 'test', maxTimeMs = 86_400_000): Promise<TaskRunResult> {
    const deadline = this.clock.now() + maxTimeMs;
    for (;;) {
      await this.clock.advance(0);
      const task = await this.engine.get(id, owner);
      if (isTerminal(task.status)) return this.describe(task);
      const next = this.clock.nextAt;
      if (next === null || next > deadline) {
        throw new Error(`task ${id} is still ${task.status} after ${maxTimeMs} ms of simulated time`);
      }
      await this.clock.advance(next - this.clock.now());
    }
  }

  /** A provider of the bed's Nest context (a fake the task injected, to assert on). */
  get<T>(type: Type<T>): T {
    return this.app.get(type);
  }

  /** Stops the engine and closes the Nest context. */
  async close(): Promise<void> {
    await this.engine.stop();
    await this.app.close();
  }

  private async describe(task: TaskRecord): Promise<TaskRunResult> {
    const events = await this.store.listEvents(task.id);
    const start = events.findIndex((e) => e.type === 'task.compensating');
    // Once compensating, every step event is a compensation's outcome (compensated, or failed if it threw).
    const compensations =
      start < 0 ? [] : events.slice(start).flatMap((e) => (e.type === 'task.step' ? [e.step!] : []));
    return {
      task,
      status: task.status,
      output: task.output,
      error: task.error,
      steps: Object.fromEntries(task.steps.map((s) => [s.name, s])),
      events,
      compensations,
    };
  }

  private step(task: string, step: string): StepDefinition {
    const definition = this.registry.get(task)?.steps.find((s) => s.name === step);
    if (!definition) throw new Error(`no step "${step}" in task "${task}"`);
    return definition;
  }
}

const SILENT: TaskLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
