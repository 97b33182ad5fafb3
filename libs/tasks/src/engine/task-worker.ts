import { isTerminal, type Placement, type TaskEvent, type TaskRecord, type TypeLimits } from '../model';
import { sleep, type ClaimRequest, type Claimed, type Held } from '../ports';
import type { EngineDeps } from './engine-deps';
import { ShutdownError, TaskCancelledError, toTaskError } from './step-errors';
import type { EventRecorder } from './event-recorder';
import { Execution } from './execution';
import { keepLease } from './lease-keeper';
import { TaskRunner } from './task-runner';
import type { SubmitTask } from './child-tasks';
import { limitsConcurrency, typeLimits } from './type-limits';
import { wakeUp } from './wake-up';

/** Most held tasks a freed slot wakes: a woken task over another limit is held again, the next one may fit. */
const WAKE_LIMIT = 4;

/** Consumes dispatches, claims tasks and runs them; tracks what runs here. */
export class TaskWorker {
  private readonly active = new Map<string, { exec: Execution; done: Promise<void> }>();
  private draining = false;
  private unsubscribe: () => void = () => undefined;
  /** The types' cluster-wide limits, read once from the registry; undefined when none has any. */
  private limits: Readonly<Record<string, TypeLimits>> | undefined;
  /** The most tasks of one owner running at once, of every type (`fairness.perOwner`). */
  private ownerMax: number | undefined;

  constructor(
    private readonly deps: EngineDeps,
    private readonly events: EventRecorder,
    /** Deletes a task and everything it owns (a delete requested while it ran). */
    private readonly remove: (taskId: string) => Promise<void>,
    /** Submits the child tasks steps spawn. */
    private readonly submit?: SubmitTask,
    /** Cancels a task's unfinished children (which compensate): a parent that failed takes them down with it. */
    private readonly cancelChildren?: (taskId: string) => Promise<void>,
  ) {}

  /** Starts consuming every registered queue for the given placements. */
  async start(placements: Placement[]): Promise<void> {
    this.limits = typeLimits(this.deps.registry);
    this.ownerMax = this.deps.settings.maxRunningPerOwner;
    const { store } = this.deps;
    if ((this.limits || this.ownerMax !== undefined) && (!store.claimWithinLimits || !store.wakeHeld)) {
      throw new Error(
        'Stepwise: cluster limits (concurrency, rateLimit, fairness) need a task store that claims within them (claimWithinLimits, wakeHeld)',
      );
    }
    // Only cancels matter here: a worker does not even receive the other events.
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event), { types: ['task.cancel_requested'] });
    for (const queue of this.deps.registry.queues()) {
      for (const placement of placements) {
        await this.deps.queue.consume(queue, placement, (taskId) => this.handle(taskId, placement), {
          concurrency: this.deps.settings.concurrency,
        });
      }
    }
  }

  /** Ids of the tasks running in this process. */
  running(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Claims and runs a task if it is claimable for `placement`; a stale or
   * duplicate delivery, or a lost race, returns without effect.
   */
  async handle(taskId: string, placement: Placement): Promise<void> {
    if (this.draining) return;
    // The run ending here may have sent this very wake-up (retry, hand-over): claim once it is done.
    await this.active.get(taskId)?.done;
    if (this.draining || this.active.has(taskId)) return;
    const { store, clock, settings, registry } = this.deps;
    const request: ClaimRequest = {
      taskId,
      workerId: settings.workerId,
      leaseMs: settings.leaseMs,
      now: clock.now(),
      // A type this process does not know stays unclaimed for a process that does.
      types: registry.names(),
      // The claim starts the next step when it plainly runs here: one statement, not two. Not when
      // its `task.step` has webhook deliveries, which only a write the engine builds carries.
      ...(this.events.announces('task.step') ? {} : { start: { placement } }),
    };
    const { limits, ownerMax } = this;
    const claimed: Claimed | Held | null =
      limits || ownerMax !== undefined
        ? await store.claimWithinLimits!({ ...request, limits: limits ?? {}, ownerMax, holdMs: settings.leaseMs })
        : await store.claim(request);
    if (!claimed) return;
    if (claimed.task === null) return this.held(claimed);
    const { task, started } = claimed;
    const definition = registry.get(task.type)!;
    const exec = new Execution(task, definition, placement, started);
    const stopLease = keepLease(this.deps, exec);
    const done = new TaskRunner(this.deps, this.events, exec, this.submit)
      .run()
      .then(() => this.removeIfRequested(exec))
      .then(() => this.cancelChildrenOfFailed(exec))
      .catch((error) => this.deps.logger.error(`task ${task.id} crashed the runner: ${toTaskError(error).message}`))
      .finally(() => {
        stopLease();
        this.active.delete(task.id);
      });
    this.active.set(task.id, { exec, done });
    await done;
    await this.slotFreed(task);
    // An abandoned attempt still running keeps this slot busy (not the task: its next run may start).
    await exec.abandonedSettled();
  }

  /**
   * A limit held the task back: the worker lets it go (it holds no slot).
   * Over a rate limit it is woken when the window frees; over a concurrency
   * limit, when a slot frees ({@link slotFreed}), the sweeper being the net.
   */
  private async held(held: Held): Promise<void> {
    if (held.held.reason !== 'rate-limit') return;
    const delayMs = Math.max(0, held.retryAt - this.deps.clock.now());
    await wakeUp(this.deps, held.due, { delayMs, dedupeKey: String(held.due.version) });
  }

  /**
   * A run of a type with a concurrency limit ended (or of any type, under
   * `fairness.perOwner`): its held tasks, and the owner's, may take the slot
   * now, not at the next sweep.
   */
  private async slotFreed(task: TaskRecord): Promise<void> {
    const acrossTypes = this.ownerMax !== undefined;
    if (!acrossTypes && !limitsConcurrency(this.limits?.[task.type])) return;
    try {
      const due = await this.deps.store.wakeHeld!({
        type: task.type,
        owner: task.owner,
        acrossTypes,
        now: this.deps.clock.now(),
        limit: WAKE_LIMIT,
      });
      for (const next of due) await wakeUp(this.deps, next, { dedupeKey: String(next.version) });
    } catch (error) {
      this.deps.logger.warn(`waking the held tasks of ${task.type} failed, the sweeper will: ${String(error)}`);
    }
  }

  /**
   * Graceful stop: take no new work, give running steps `graceMs` to finish,
   * then abort them so they are handed back (lease released) at once.
   */
  async stop(graceMs: number): Promise<void> {
    this.draining = true;
    this.unsubscribe();
    const all = () => Promise.all([...this.active.values()].map((a) => a.done));
    const grace = new AbortController();
    await Promise.race([all(), sleep(this.deps.clock, graceMs, grace.signal).catch(() => undefined)]);
    grace.abort();
    for (const { exec } of this.active.values()) exec.abort(new ShutdownError());
    await all();
  }

  /** A run that ended the task carries out a delete requested meanwhile (else the sweeper does). */
  private async removeIfRequested(exec: Execution): Promise<void> {
    const { task } = exec;
    if (!isTerminal(task.status)) return;
    // A delete cancels: a cancelled run may not have read the delete request yet.
    const requested =
      task.deleteRequested || (task.status === 'cancelled' && (await this.deps.store.get(task.id))?.deleteRequested);
    if (requested) await this.remove(task.id);
  }

  /**
   * A task that failed cancels its unfinished children: they were part of
   * the work that failed, and its compensation does not undo theirs. One
   * read, on failures only. (A cancelled task cancelled them already; a
   * completed one may leave children it did not wait for running.)
   */
  private async cancelChildrenOfFailed(exec: Execution): Promise<void> {
    if (exec.task.status !== 'failed' || !this.cancelChildren) return;
    await this.cancelChildren(exec.task.id).catch((error: unknown) =>
      this.deps.logger.warn(`could not cancel the children of failed task ${exec.task.id}: ${String(error)}`),
    );
  }

  private onEvent(event: TaskEvent): void {
    if (event.type === 'task.cancel_requested') this.active.get(event.taskId)?.exec.abort(new TaskCancelledError());
  }
}
