import { TaskDefinitionError, type TaskDefinition } from '../definition';
import { MISSED_SLOT_POLICIES, type ScheduleInput, type ScheduleRecord } from '../model';
import type { ScheduleStore } from '../ports';
import type { CronSlots } from './cron-slots';
import type { EngineDeps } from './engine-deps';
import { validateInput } from './input-validation';
import { conflict, invalidInput, TaskOperationError } from './operation-errors';
import type { SubmitRequest, SubmitResult } from './task-engine';

/**
 * A schedule added at run time (REST, or the app's code): the contract's
 * `POST /schedules` body and its owner. Its name is letters, digits, `.`,
 * `_`, `-` (a declared schedule's name has a `:`, so the two never meet);
 * its input is checked against the task's schema now and at each submit.
 */
export interface ScheduleSpec extends ScheduleInput {
  owner: string;
}

/** A schedule as listed: its record and when it runs next (null while paused, or when the cron has no next slot). */
export interface ScheduleInfo extends ScheduleRecord {
  nextRunAt: number | null;
}

/** The cron module, loaded on first use: only apps with schedules pay for the library. */
type CronModule = typeof import('./cron-slots');
let cronModule: Promise<CronModule> | undefined;
const loadCron = (): Promise<CronModule> => (cronModule ??= import('./cron-slots'));

/** Most slots submitted for one schedule in one pass; the rest wait for the next pass. */
const MAX_SLOTS_PER_PASS = 100;
const RUNTIME_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/i;

/** The idempotency key of a schedule's task for a slot: the task store's unique index makes it one task per slot. */
export function scheduleSlotKey(name: string, slotAt: number): string {
  return `schedule:${name}:${new Date(slotAt).toISOString()}`;
}

/**
 * Submits the tasks of cron schedules, one per slot whatever the number of
 * processes running it: each slot's task carries the idempotency key
 * `schedule:<name>:<slot ISO>` (the database's unique (owner, key) index
 * refuses a second), and the schedule's last slot then moves forward in one
 * conditional statement. A crash between the two submits the same key
 * again, which returns the task already there.
 *
 * Slots after the last one dealt with and no older than `scheduleGraceMs`
 * are on time and all submitted, oldest first; older ones were missed
 * (everything was down, or too late) and the schedule's policy decides:
 * `latest` submits the most recent of them once, unless a slot on time
 * supersedes it; `skip` submits none. Paused schedules submit nothing, and
 * a resume does not make up for the slots it passed.
 *
 * Runs on the clock port, so a manual clock drives it in tests: each pass
 * reads the schedules, and the next pass is due at the earliest next slot,
 * or after `scheduleIntervalMs` (to see other processes' changes).
 */
export class Scheduler {
  private active = false;
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private declarationsWritten = false;
  /** The earliest next slot seen by the last pass (or an add or resume since). */
  private earliest = Infinity;
  private readonly parsed = new Map<string, CronSlots | Error>();
  /** Each schedule's next slot after where it stood at the last pass: a pass with nothing due computes nothing. */
  private readonly nextSlots = new Map<string, { key: string; next: number | null }>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly deps: EngineDeps,
    private readonly submit: (request: SubmitRequest) => Promise<SubmitResult>,
  ) {}

  private get store(): ScheduleStore {
    const store = this.deps.schedules;
    if (!store) throw new Error('Stepwise: schedules need a ScheduleStore (EngineDeps.schedules)');
    return store;
  }

  /**
   * Checks the declared schedules (cron, time zone, input: a bad one fails
   * the start with a `TaskDefinitionError`), then, with `run`, writes them
   * and starts the passes in this process.
   */
  async start(run: boolean): Promise<void> {
    await this.checkDeclarations();
    if (!run || !this.deps.schedules || !(this.deps.settings.scheduleIntervalMs > 0)) return;
    this.active = true;
    this.loop();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  /**
   * One pass: writes the declarations (first pass only, until it succeeds),
   * then submits every due slot. Returns how many slots got their task
   * (submitted here, or found submitted by another process).
   */
  async tick(): Promise<number> {
    if (!this.declarationsWritten) {
      await this.writeDeclarations();
      this.declarationsWritten = true;
    }
    const now = this.deps.clock.now();
    this.earliest = Infinity;
    let submitted = 0;
    const schedules = await this.store.list();
    const names = new Set(schedules.map((schedule) => schedule.name));
    for (const name of this.nextSlots.keys()) if (!names.has(name)) this.nextSlots.delete(name);
    for (const schedule of schedules) {
      if (schedule.paused) continue;
      submitted += await this.runDue(schedule, now);
    }
    return submitted;
  }

  /** Every schedule (of `owner` when given), with its next run. */
  async list(owner?: string): Promise<ScheduleInfo[]> {
    const records = await this.store.list(owner === undefined ? {} : { owner });
    return Promise.all(records.map((record) => this.info(record)));
  }

  /** One schedule; a `not_found` error when there is none (or it is another owner's). */
  async get(name: string, owner?: string): Promise<ScheduleInfo> {
    return this.info(await this.record(name, owner));
  }

  /**
   * Adds a schedule, checked: an invalid name, cron, time zone, policy or
   * input is an `invalid_input` error naming the field; an unknown task type
   * too (`field: 'type'`); a name in use is a `conflict`. With `httpOnly`,
   * a type not submittable over REST counts as unknown.
   */
  async add(spec: ScheduleSpec, options: { httpOnly?: boolean } = {}): Promise<ScheduleInfo> {
    const name = typeof spec.name === 'string' ? spec.name : '';
    if (!RUNTIME_NAME.test(name)) {
      throw fieldError('name', 'must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit');
    }
    const definition = typeof spec.type === 'string' ? this.deps.registry.get(spec.type) : undefined;
    if (!definition || (options.httpOnly && !definition.http)) {
      throw fieldError('type', `unknown task type ${JSON.stringify(spec.type)}`);
    }
    if (typeof spec.owner !== 'string' || spec.owner === '') throw fieldError('owner', 'must be a non-empty string');
    const missed = spec.missed ?? 'latest';
    if (!MISSED_SLOT_POLICIES.includes(missed)) {
      throw fieldError('missed', `must be ${MISSED_SLOT_POLICIES.map((p) => `"${p}"`).join(' or ')}`);
    }
    const slots = await this.parse(spec.cron, spec.timezone ?? 'UTC');
    const input = spec.input ?? {};
    await this.checkInput(definition, input);
    const now = this.deps.clock.now();
    const record: ScheduleRecord = {
      name,
      type: definition.name,
      cron: slots.cron,
      timezone: slots.timezone,
      input,
      owner: spec.owner,
      missed,
      paused: false,
      declared: false,
      lastSlotAt: null,
      activeFrom: now,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.create(record))) throw conflict(`A schedule named "${name}" exists already`);
    const info = await this.info(record);
    this.expect(info.nextRunAt);
    return info;
  }

  /** Pauses or resumes; a resume counts slots from now. */
  async setPaused(name: string, paused: boolean, owner?: string): Promise<ScheduleInfo> {
    await this.record(name, owner);
    const record = await this.store.setPaused(name, paused, this.deps.clock.now());
    if (!record) throw notFound(name);
    const info = await this.info(record);
    if (!paused) this.expect(info.nextRunAt);
    return info;
  }

  /** Removes a schedule added at run time; a declared one is a `conflict` (it would come back at the next start). */
  async remove(name: string, owner?: string): Promise<void> {
    const record = await this.record(name, owner);
    if (record.declared) {
      throw conflict(
        `Schedule "${name}" is declared by @Task({ schedules }) of "${record.type}" and is written again at every start: pause it, or remove it from the code`,
      );
    }
    if (!(await this.store.remove(name))) throw notFound(name);
  }

  private async record(name: string, owner: string | undefined): Promise<ScheduleRecord> {
    const record = typeof name === 'string' && name ? await this.store.get(name) : null;
    // Another owner's schedule is indistinguishable from a missing one.
    if (!record || (owner !== undefined && record.owner !== owner)) throw notFound(name);
    return record;
  }

  private async info(record: ScheduleRecord): Promise<ScheduleInfo> {
    if (record.paused) return { ...record, nextRunAt: null };
    const slots = await this.slotsOf(record);
    const from = Math.max(after(record), this.deps.clock.now());
    return { ...record, nextRunAt: slots instanceof Error ? null : slots.next(from) };
  }

  /** Submits the due slots of one schedule; returns how many. */
  private async runDue(schedule: ScheduleRecord, now: number): Promise<number> {
    const definition = this.deps.registry.get(schedule.type);
    if (!definition) {
      // A process without this task type leaves the schedule to those that have it.
      this.warnOnce(
        `type:${schedule.name}`,
        `schedule "${schedule.name}": task type "${schedule.type}" is not registered here`,
      );
      return 0;
    }
    const slots = await this.slotsOf(schedule);
    if (slots instanceof Error) {
      this.warnOnce(`cron:${schedule.name}`, `schedule "${schedule.name}" cannot run: ${slots.message}`);
      return 0;
    }
    const from = after(schedule);
    const key = `${schedule.timezone}\n${schedule.cron}\n${from}`;
    let cached = this.nextSlots.get(schedule.name);
    if (cached?.key !== key) this.nextSlots.set(schedule.name, (cached = { key, next: slots.next(from) }));
    const first = cached.next;
    if (first === null) return 0;
    if (first > now) {
      this.earliest = Math.min(this.earliest, first);
      return 0;
    }
    const horizon = now - this.deps.settings.scheduleGraceMs;
    const missed = first < horizon ? slots.latest(from, horizon) : null;
    const onTime = slots.between(missed ?? from, now, MAX_SLOTS_PER_PASS);
    const chosen = onTime.length > 0 || schedule.missed === 'skip' ? onTime : missed !== null ? [missed] : [];
    let submitted = 0;
    for (const slot of chosen) {
      const outcome = await this.submitSlot(schedule, slot);
      if (outcome === 'retry') return submitted;
      await this.store.advance(schedule.name, slot);
      if (outcome === 'submitted') submitted++;
    }
    if (missed !== null && (first < missed || !chosen.includes(missed))) {
      const outcome = chosen.includes(missed)
        ? `the latest, ${new Date(missed).toISOString()}, runs`
        : onTime.length > 0
          ? 'a slot on time runs'
          : 'none runs';
      this.deps.logger.warn(
        `schedule "${schedule.name}": slots missed since ${new Date(first).toISOString()}: ${outcome} (missed: ${schedule.missed})`,
      );
    }
    // Passed over: the next pass starts after them.
    const last = onTime.at(-1) ?? missed;
    if (last !== null && last !== chosen.at(-1)) await this.store.advance(schedule.name, last);
    if (onTime.length === MAX_SLOTS_PER_PASS) this.earliest = now;
    else {
      const next = slots.next(Math.max(last ?? from, now));
      if (next !== null) this.earliest = Math.min(this.earliest, next);
    }
    return submitted;
  }

  /** `submitted`: the slot has its task (now, or from an earlier submit); `skipped`: it can never have one; `retry`: later. */
  private async submitSlot(schedule: ScheduleRecord, slotAt: number): Promise<'submitted' | 'skipped' | 'retry'> {
    const key = scheduleSlotKey(schedule.name, slotAt);
    try {
      await this.submit({
        type: schedule.type,
        input: schedule.input,
        owner: schedule.owner,
        actor: `schedule:${schedule.name}`,
        idempotencyKey: key,
        // The key alone identifies the request: a replay never conflicts over an input edited meanwhile.
        fingerprint: key,
      });
      return 'submitted';
    } catch (error) {
      if (error instanceof TaskOperationError && error.kind !== 'unavailable') {
        // Invalid input, a type replaced: retrying would fail the same way at every pass.
        this.deps.logger.error(`schedule "${schedule.name}": the slot ${key} is skipped: ${error.message}`);
        return 'skipped';
      }
      this.deps.logger.warn(`schedule "${schedule.name}": submit failed, retried at the next pass: ${String(error)}`);
      return 'retry';
    }
  }

  private async checkDeclarations(): Promise<void> {
    for (const definition of this.deps.registry.all()) {
      for (const declaration of definition.schedules) {
        try {
          await this.parse(declaration.cron, declaration.timezone);
          await this.checkInput(definition, declaration.input);
        } catch (error) {
          throw new TaskDefinitionError(
            definition.className,
            `schedule "${declaration.name}": ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
  }

  /** Upserts every declaration of this process's task types, and removes those its types no longer declare. */
  private async writeDeclarations(): Promise<void> {
    const now = this.deps.clock.now();
    const declared = new Set<string>();
    for (const definition of this.deps.registry.all()) {
      for (const d of definition.schedules) {
        const slots = await this.parse(d.cron, d.timezone);
        declared.add(d.name);
        await this.store.upsert({
          name: d.name,
          type: definition.name,
          cron: slots.cron,
          timezone: slots.timezone,
          input: d.input,
          owner: d.owner,
          missed: d.missed,
          paused: false,
          declared: true,
          lastSlotAt: null,
          activeFrom: now,
          createdAt: now,
          updatedAt: now,
        });
      }
    }
    for (const record of await this.store.list()) {
      if (record.declared && !declared.has(record.name) && this.deps.registry.get(record.type)) {
        await this.store.remove(record.name);
        this.deps.logger.log(`schedule "${record.name}" is no longer declared by "${record.type}": removed`);
      }
    }
  }

  private async parse(cron: unknown, timezone: unknown): Promise<CronSlots> {
    const { CronSlots: Slots, CronError } = await loadCron();
    if (typeof cron !== 'string') throw fieldError('cron', 'must be a cron expression (a string)');
    if (typeof timezone !== 'string') throw fieldError('timezone', 'must be an IANA time zone (a string)');
    try {
      return Slots.parse(cron, timezone);
    } catch (error) {
      if (error instanceof CronError) throw fieldError(error.issue.field, error.issue.message);
      throw error;
    }
  }

  private async checkInput(definition: TaskDefinition, input: unknown): Promise<void> {
    try {
      await validateInput(definition, input);
    } catch (error) {
      if (error instanceof TaskOperationError && Array.isArray(error.details)) {
        const details = (error.details as Array<{ field: string; message: string }>).map((d) => ({
          field: d.field === '(root)' ? 'input' : `input.${d.field}`,
          message: d.message,
        }));
        throw invalidInput(`Invalid input for task "${definition.name}": ${describe(details)}`, details);
      }
      throw error;
    }
  }

  /** Parsed once per cron and time zone; an expression that no longer parses is kept as its error. */
  private async slotsOf(record: ScheduleRecord): Promise<CronSlots | Error> {
    const key = `${record.timezone}\n${record.cron}`;
    let slots = this.parsed.get(key);
    if (!slots) {
      slots = await this.parse(record.cron, record.timezone).catch((error: Error) => error);
      this.parsed.set(key, slots);
    }
    return slots;
  }

  /** A slot this process just learned of (an add, a resume): the next pass comes no later. */
  private expect(slotAt: number | null): void {
    if (slotAt === null || !this.active || slotAt >= this.earliest) return;
    this.earliest = slotAt;
    if (this.running) return; // its end sets the timer from `earliest`
    this.cancelTimer?.();
    this.cancelTimer = this.deps.clock.setTimer(this.delay(), () => this.loop());
  }

  private delay(): number {
    const interval = this.deps.settings.scheduleIntervalMs;
    return Math.max(0, Math.min(interval, this.earliest - this.deps.clock.now()));
  }

  private loop(): void {
    this.cancelTimer = undefined;
    this.running = this.tick()
      .then(() => undefined)
      .catch((error) => this.deps.logger.warn(`schedule pass failed: ${String(error)}`))
      .finally(() => {
        this.running = undefined;
        if (this.active) this.cancelTimer = this.deps.clock.setTimer(this.delay(), () => this.loop());
      });
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.logger.warn(message);
  }
}

/** Slots after this time are due. */
function after(record: ScheduleRecord): number {
  return Math.max(record.lastSlotAt ?? -Infinity, record.activeFrom);
}

function fieldError(field: string, message: string): TaskOperationError {
  return invalidInput(`Invalid schedule: ${field} ${message}`, [{ field, message }]);
}

function notFound(name: string): TaskOperationError {
  return new TaskOperationError('not_found', `Schedule ${JSON.stringify(name)} not found`);
}

function describe(details: Array<{ field: string; message: string }>): string {
  return details.map((d) => `${d.field}: ${d.message}`).join('; ');
}
