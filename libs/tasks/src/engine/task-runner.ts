import type { StepContext, StepDefinition } from '../definition';
import { WAIT_FOREVER_MS, type StepRecord, type TaskError, type TaskEventType, type TaskRecord } from '../model';
import { isRetryable, retryDelay } from './backoff';
import type { EngineDeps } from './engine-deps';
import { sleep, type SuspendOutcome } from '../ports';
import {
  LeaseLostError,
  ShutdownError,
  StepTimeoutError,
  TaskCancelledError,
  TaskTimeoutError,
  toTaskError,
} from './step-errors';
import type { EventExtra, EventRecorder } from './event-recorder';
import type { Execution } from './execution';
import { ProgressReporter } from './progress-reporter';
import { runAttempt, settleWithin, stepContext } from './step-attempt';
import { signalWaiter, WaitSuspension } from './step-wait';
import { childSpawner, childWaiter, type SubmitTask } from './child-tasks';
import { wakeUp } from './wake-up';

/**
 * The saga kernel: runs the steps of one placement of a claimed task, in
 * order, checkpointing each; retries through the queue; compensates in reverse
 * when a step fails for good or the task is cancelled.
 */
export class TaskRunner {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: EngineDeps,
    private readonly events: EventRecorder,
    private readonly exec: Execution,
    private readonly submit?: SubmitTask,
  ) {}

  private get task() {
    return this.exec.task;
  }

  /** Runs until the task is handed over, waits for a retry, pauses, or ends. */
  async run(): Promise<void> {
    try {
      await this.runClaimed();
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.deps.logger.warn(`task ${this.task.id}: lease lost, stopping without writing`);
        return;
      }
      throw error;
    }
  }

  private async runClaimed(): Promise<void> {
    const task = this.task;
    const now = this.deps.clock.now();
    if (task.startedAt === null) task.startedAt = now;
    // Its next write says it waits for nothing; the execution remembers a wait nothing woke.
    task.waitingFor = null;
    if (task.deadlineAt === null && this.exec.definition.timeoutMs) {
      task.deadlineAt = task.startedAt + this.exec.definition.timeoutMs;
    }
    if (task.status === 'compensating')
      return this.compensate(task.cancelRequested ? 'cancelled' : 'failed', task.error);
    if (task.cancelRequested) return this.compensate('cancelled', cancelledError());
    if (task.deadlineAt !== null && now >= task.deadlineAt) {
      return this.compensate('failed', toTaskError(new TaskTimeoutError(this.exec.definition.timeoutMs ?? 0)));
    }
    const stopDeadline =
      task.deadlineAt !== null
        ? this.deps.clock.setTimer(task.deadlineAt - now, () =>
            this.exec.abort(new TaskTimeoutError(this.exec.definition.timeoutMs ?? 0)),
          )
        : () => undefined;
    try {
      await this.runSteps();
    } finally {
      stopDeadline();
    }
  }

  private async runSteps(): Promise<void> {
    const task = this.task;
    const steps = this.exec.definition.steps;
    let boundary = false;
    for (let index = 0; index < steps.length; index++) {
      const def = steps[index];
      const record = this.stepRecord(def.name);
      if (record.status === 'completed') continue;
      // Recorded as failed for good by a run that could not go on (a store
      // outage, a crash): never run it again, compensate.
      if (record.status === 'failed') return this.compensate('failed', record.error);
      if (def.on !== this.exec.placement) return this.handOver(def.on);
      // The claim read the flags; between two steps they may have changed.
      if (boundary) await this.refreshFlags();
      // The claim starts the first step it finds ready by the same rules as above.
      const startedByClaim = !boundary && this.exec.started?.step === record.name;
      boundary = true;
      if (task.cancelRequested) return this.compensate('cancelled', cancelledError());
      if (task.pauseRequested) {
        if (await this.pause()) return;
        // A resume cleared the request before our write: carry on (or stop, if the lease is gone).
        await this.refreshFlags();
        if (task.cancelRequested) return this.compensate('cancelled', cancelledError());
      }

      if (startedByClaim) {
        // The claim wrote this step's start and its event: announce it only.
        await this.events.fanOut(this.snapshot(), this.exec.started!);
      } else {
        record.status = 'running';
        record.attempts += 1;
        record.startedAt = this.deps.clock.now();
        record.error = null;
        task.message = null;
        task.status = 'running';
        await this.persist([record.name], [['task.step', { step: record.name, stepStatus: 'running' }]]);
      }

      const progress = new ProgressReporter(this.deps, index, steps.length, record, task, () =>
        this.persistProgress(record),
      );
      const hooks = {
        ...progress.hooks((file) => (task.resultFile = file)),
        waitForSignal: signalWaiter(this.deps.store, this.exec, def) as StepContext['waitForSignal'],
        spawn: this.submit ? childSpawner(this.submit, this.exec, def) : undefined,
        waitFor: childWaiter(this.deps.store, this.exec),
      };
      const outcome = await runAttempt(
        this.exec,
        def,
        record.attempts,
        this.deps,
        hooks,
        this.deps.settings.abortGraceMs,
      );
      progress.stop();
      if (outcome.kind === 'threw' && outcome.error instanceof WaitSuspension) {
        return this.suspend(record, outcome.error);
      }
      if (outcome.kind === 'abandoned') {
        this.abandon(record, outcome.running);
        if (outcome.reason instanceof StepTimeoutError) return this.onFailure(def, record, outcome.reason);
        return this.onAborted(record, outcome.reason);
      }

      if (outcome.kind === 'completed') {
        record.status = 'completed';
        record.output = outcome.output;
        record.progress = 1;
        record.finishedAt = this.deps.clock.now();
        task.progress = Math.max(task.progress, (index + 1) / steps.length);
        const stepDone: PendingEvent = ['task.step', { step: record.name, stepStatus: 'completed' }];
        // The last step's checkpoint rides with the finish: one write, not two.
        if (index === steps.length - 1) return this.complete(record.name, stepDone);
        await this.persist([record.name], [stepDone]);
        continue;
      }
      if (outcome.kind === 'aborted') return this.onAborted(record, outcome.reason);
      return this.onFailure(def, record, outcome.error);
    }
    return this.complete();
  }

  private async onFailure(def: StepDefinition, record: StepRecord, error: unknown): Promise<void> {
    const task = this.task;
    record.error = toTaskError(error, record.name);
    if (record.attempts < def.retry.attempts && isRetryable(def.retry, error)) {
      const delay = retryDelay(def.retry, record.attempts, this.deps.random);
      record.status = 'pending';
      task.status = 'pending';
      task.runAt = this.deps.clock.now() + delay;
      task.message = `retrying ${record.name} in ${delay} ms: ${record.error.message}`;
      this.release();
      await this.persist([record.name], [['task.retrying', { step: record.name }]], delay);
      // The delay lives in the queue, not in this worker slot.
      await this.dispatch(delay);
      return;
    }
    record.status = 'failed';
    record.finishedAt = this.deps.clock.now();
    await this.persist([record.name], [['task.step', { step: record.name, stepStatus: 'failed' }]]);
    return this.compensate('failed', record.error);
  }

  /**
   * The step waits (a signal): the task becomes `waiting` until what it
   * waits for wakes it or the wait's deadline passes, holding no lease and no
   * worker slot; the step goes back to pending, its attempt not spent, and
   * runs again from its start. When what it waits for came meanwhile, the
   * step runs again at once instead.
   */
  private async suspend(record: StepRecord, wait: WaitSuspension): Promise<void> {
    const task = this.task;
    const now = this.deps.clock.now();
    record.status = 'pending';
    record.attempts -= 1;
    record.progress = 0;
    let runAfterMs = wait.timeoutMs ?? WAIT_FOREVER_MS;
    // The task's own deadline comes first: the claim then fails it.
    if (task.deadlineAt !== null) runAfterMs = Math.max(0, Math.min(runAfterMs, task.deadlineAt - now));
    const message = `waiting for ${wait.target.replace(':', ' ')}`;
    const waiting: TaskRecord = {
      ...this.snapshot(),
      ...{ status: 'waiting', leaseOwner: null, leaseExpiresAt: null, waitingFor: wait.target },
      ...{ runAt: now + runAfterMs, message, updatedAt: now },
    };
    const event = this.events.build(waiting, 'task.waiting', { step: record.name });
    const deliveries = this.events.deliveries(waiting, [event]);
    let outcome = 'lost' as SuspendOutcome;
    await this.enqueue(async () => {
      const request = { waitingFor: wait.target, step: record.name, runAfterMs, steps: [record.name], events: [event] };
      outcome = await this.retrying(() =>
        this.deps.store.suspend(waiting, this.deps.settings.workerId, { ...request, deliveries }),
      );
      if (outcome === 'lost') this.lost();
      if (outcome === 'ready') return;
      const { status, leaseOwner, leaseExpiresAt, waitingFor, runAt, version } = waiting;
      Object.assign(task, { status, leaseOwner, leaseExpiresAt, waitingFor, runAt, message, version });
      await this.events.fanOut(waiting, event);
    });
    if (outcome === 'ready') {
      task.status = 'pending';
      task.runAt = now;
      this.release();
      await this.persist([record.name], [], 0);
      await this.dispatch(0);
      return;
    }
    // A wake-up at the deadline; the sweeper's scan of expired waits is the safety net.
    if (runAfterMs < WAIT_FOREVER_MS) await this.dispatch(runAfterMs);
  }

  /**
   * The attempt ignored its abort for the whole grace: it keeps this run's
   * worker slot, and its step counts as possibly done (compensated).
   */
  private abandon(record: StepRecord, running: Promise<unknown>): void {
    record.abandoned += 1;
    this.exec.linger(running);
    this.deps.logger.warn(
      `task ${this.task.id}: step "${record.name}" ignored its abort signal for ${this.deps.settings.abortGraceMs} ms;` +
        ` attempt ${record.attempts} abandoned (it may still finish; its compensation will run)`,
    );
  }

  private async onAborted(record: StepRecord, reason: Error): Promise<void> {
    if (reason instanceof LeaseLostError) throw reason;
    if (reason instanceof ShutdownError) {
      // Not the step's fault: hand it back without spending an attempt.
      record.status = 'pending';
      record.attempts -= 1;
      this.task.status = 'pending';
      this.task.runAt = this.deps.clock.now();
      this.release();
      await this.persist([record.name], [], 0);
      await this.dispatch(0);
      return;
    }
    record.status = 'failed';
    record.error = toTaskError(reason, record.name);
    record.finishedAt = this.deps.clock.now();
    await this.persist([record.name], [['task.step', { step: record.name, stepStatus: 'failed' }]]);
    if (reason instanceof TaskCancelledError) return this.compensate('cancelled', record.error);
    return this.compensate('failed', record.error);
  }

  /**
   * Runs the compensations of finished (or possibly finished) steps in
   * reverse, then ends the task. The cancel that caused it does not stop it;
   * a lost lease does, before any further write.
   */
  private async compensate(outcome: 'failed' | 'cancelled', error: TaskError | null): Promise<void> {
    const task = this.task;
    task.error = error;
    const candidates = this.exec.definition.steps
      .filter((def) => def.compensate && this.needsCompensation(def))
      .reverse();
    if (candidates.length > 0) {
      task.status = 'compensating';
      await this.persist([], [['task.compensating', {}]]);
    }
    const failures: string[] = [];
    for (const def of candidates) {
      const record = this.stepRecord(def.name);
      record.status = 'compensating';
      await this.persist([record.name], []);
      const lease = this.exec.leaseSignal;
      const ctx = stepContext(task, def.name, record.attempts, lease, this.deps, {
        progress: () => undefined,
        setResultFile: () => undefined,
      });
      const tracer = this.deps.tracer;
      const undo = () => def.compensate!(ctx);
      const settled = await settleWithin(
        tracer ? () => tracer.attempt(task, def.name, record.attempts, 'compensation', undo) : undo,
        lease,
        this.deps.clock,
        this.deps.settings.abortGraceMs,
      );
      if (settled.kind === 'running') this.exec.linger(settled.running);
      if (lease.aborted) throw lease.reason;
      if (settled.kind === 'ok') record.status = 'compensated';
      else {
        const err = settled.kind === 'threw' ? settled.error : lease.reason;
        record.status = 'failed';
        record.error = toTaskError(err, def.name);
        failures.push(`${def.name}: ${record.error.message}`);
      }
      record.finishedAt = this.deps.clock.now();
      await this.persist([record.name], [['task.step', { step: def.name, stepStatus: record.status }]]);
    }
    if (failures.length > 0) task.message = `compensation failed for ${failures.join('; ')}`;
    await this.finish(outcome === 'cancelled' ? 'cancelled' : 'failed');
  }

  /** Done, being undone, or an abandoned attempt that may have done its work. */
  private needsCompensation(def: StepDefinition): boolean {
    const record = this.stepRecord(def.name);
    if (record.status === 'completed' || record.status === 'compensating') return true;
    return record.abandoned > 0 && record.status !== 'compensated';
  }

  /** Ends the task `completed`; `lastStep` is the final step's checkpoint when it was not written yet. */
  private async complete(lastStep?: string, stepDone?: PendingEvent): Promise<void> {
    const task = this.task;
    const steps = this.exec.definition.steps;
    task.output = this.stepRecord(steps[steps.length - 1].name).output;
    task.progress = 1;
    await this.finish('completed', lastStep ? [lastStep] : [], stepDone ? [stepDone] : []);
  }

  private async finish(
    status: 'completed' | 'failed' | 'cancelled',
    steps: string[] = [],
    before: PendingEvent[] = [],
  ): Promise<void> {
    const task = this.task;
    task.status = status;
    task.finishedAt = this.deps.clock.now();
    this.release();
    await this.persist(steps, [...before, [`task.${status}`, {}]]);
    if (task.parentId) await this.dispatchParent(task.parentId);
  }

  /** A child ended: its write woke the parent if it was the last one the parent waited for; send its wake-up. */
  private async dispatchParent(parentId: string): Promise<void> {
    const parent = await this.deps.store.get(parentId).catch(() => null);
    if (parent?.status === 'pending') await wakeUp(this.deps, parent, { dedupeKey: String(parent.version) });
  }

  private async handOver(placement: 'api' | 'worker'): Promise<void> {
    this.task.placement = placement;
    this.task.status = 'pending';
    this.task.runAt = this.deps.clock.now();
    this.release();
    await this.persist([], [], 0);
    await this.dispatch(0);
  }

  /**
   * Pauses between steps, only while the pause is still requested: a resume
   * that cleared it first wins, and the run goes on. False when not paused.
   */
  private async pause(): Promise<boolean> {
    const task = this.task;
    const snapshot: TaskRecord = { ...this.snapshot(), status: 'paused', leaseOwner: null, leaseExpiresAt: null };
    const event = this.events.build(snapshot, 'task.paused');
    const deliveries = this.events.deliveries(snapshot, [event]);
    let paused = false;
    await this.enqueue(async () => {
      const change = { events: [event], deliveries, whilePauseRequested: true };
      paused = await this.retrying(() => this.deps.store.save(snapshot, this.deps.settings.workerId, change));
      if (!paused) return;
      Object.assign(task, { status: 'paused', leaseOwner: null, leaseExpiresAt: null, version: snapshot.version });
      await this.events.fanOut(snapshot, event);
    });
    return paused;
  }

  /** Reads the flags other processes set (pause, cancel); doubles as a heartbeat. */
  private async refreshFlags(): Promise<void> {
    const { store, settings, clock } = this.deps;
    const state = await this.retrying(() =>
      store.renewLease(this.task.id, settings.workerId, settings.leaseMs, clock.now()),
    );
    if (!state.held) {
      const lost = new LeaseLostError(this.task.id);
      this.exec.abort(lost);
      throw lost;
    }
    this.task.pauseRequested = state.pauseRequested;
    this.task.deleteRequested = state.deleteRequested;
    if (state.cancelRequested) {
      this.task.cancelRequested = true;
      this.exec.abort(new TaskCancelledError());
    }
  }

  private release(): void {
    this.task.leaseOwner = null;
    this.task.leaseExpiresAt = null;
  }

  private dispatch(delayMs: number): Promise<void> {
    // This very task may still be the queue's current job: a new key makes a new job.
    return wakeUp(this.deps, this.task, { delayMs, dedupeKey: String(this.task.version) });
  }

  /**
   * Serialised conditional write of the task as it is NOW (a snapshot taken
   * at the call, not when the write's turn comes: a write queued behind
   * another must not carry state decided after it). A lost lease stops the
   * run. The events and their webhook deliveries go in the same transaction,
   * then the events are fanned out.
   */
  private persist(steps: string[], events: PendingEvent[], runAfterMs?: number): Promise<void> {
    const task = this.task;
    task.updatedAt = this.deps.clock.now();
    const snapshot = this.snapshot();
    const built = events.map(([type, extra]) => this.events.build(snapshot, type, extra));
    const deliveries = this.events.deliveries(snapshot, built);
    return this.enqueue(async () => {
      const change = { steps, events: built, deliveries, runAfterMs };
      const held = await this.retrying(() => this.deps.store.save(snapshot, this.deps.settings.workerId, change));
      if (!held) this.lost();
      task.version = snapshot.version;
      await this.events.fanOut(snapshot, ...built);
    });
  }

  /**
   * A state write that failed (a dropped connection, a failover) is tried
   * again after a short backoff: the write is conditional on the lease, so a
   * retry of one that did commit changes nothing but the events. Past the
   * last try the run stops; its lease expires and another run resumes from
   * what was written.
   */
  private async retrying<T>(write: () => Promise<T>): Promise<T> {
    for (const delay of STATE_WRITE_BACKOFF_MS) {
      try {
        return await write();
      } catch (error) {
        this.deps.logger.warn(`task ${this.task.id}: state write failed, retrying in ${delay} ms: ${String(error)}`);
        await sleep(this.deps.clock, delay);
      }
    }
    return write();
  }

  /** A progress report: writes the progress columns only, never the task's state. */
  private persistProgress(record: StepRecord): Promise<void> {
    const task = this.task;
    const change = {
      progress: task.progress,
      message: task.message,
      step: record.name,
      stepProgress: record.progress,
      updatedAt: this.deps.clock.now(),
    };
    const snapshot = this.snapshot();
    const event = this.events.build(snapshot, 'task.progress', { step: record.name });
    const deliveries = this.events.deliveries(snapshot, [event]);
    return this.enqueue(async () => {
      if (!(await this.deps.store.saveProgress(task.id, this.deps.settings.workerId, change, event, deliveries))) {
        this.lost();
      }
      await this.events.fanOut(snapshot, event);
    });
  }

  /** The task and its step records as they are now; outputs are never mutated, so they are shared. */
  private snapshot(): TaskRecord {
    return { ...this.task, steps: this.task.steps.map((s) => ({ ...s })) };
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private lost(): never {
    const lost = new LeaseLostError(this.task.id);
    this.exec.abort(lost);
    throw lost;
  }

  private stepRecord(name: string): StepRecord {
    const record = this.task.steps.find((s) => s.name === name);
    if (!record) throw new Error(`task ${this.task.id} has no step record "${name}"`);
    return record;
  }
}

/** Waits between the tries of a failed state write: about 3.5 s in all, well inside a lease. */
const STATE_WRITE_BACKOFF_MS = [100, 400, 1_000, 2_000];

/** An event to record with a write: its type and what it adds to the task's fields. */
type PendingEvent = [TaskEventType, EventExtra];

function cancelledError(): TaskError {
  return toTaskError(new TaskCancelledError());
}
