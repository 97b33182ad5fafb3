import 'reflect-metadata';
import type { CompensationMetadata, StepMetadata } from './decorators';
import { COMPENSATIONS_METADATA, STEPS_METADATA, TASK_METADATA } from './metadata-keys';
import { NO_RETRY } from './retry-policy';
import { MISSED_SLOT_POLICIES, type TypeLimits } from '../model';
import type { ScheduleDeclaration, StepDefinition, StepHandler, TaskDefinition } from './task-definition';
import { DEFAULT_PLACEMENT, DEFAULT_QUEUE } from './task-lanes';
import { TaskDefinitionError } from './task-definition-error';
import type { TaskOptions } from './task-options';
import type { StandardSchemaV1 } from './standard-schema';

/** Reads decorated task instances and keeps their validated definitions. */
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  /** Compiles and registers one `@Task` instance; throws {@link TaskDefinitionError}. */
  register(instance: object): TaskDefinition {
    const definition = compileTask(instance);
    const existing = this.tasks.get(definition.name);
    if (existing) {
      throw new TaskDefinitionError(
        definition.className,
        `task name "${definition.name}" is already declared by ${existing.className}`,
      );
    }
    this.tasks.set(definition.name, definition);
    return definition;
  }

  get(name: string): TaskDefinition | undefined {
    return this.tasks.get(name);
  }

  names(): string[] {
    return [...this.tasks.keys()];
  }

  all(): TaskDefinition[] {
    return [...this.tasks.values()];
  }

  /** Queue names in use, for the consumers to start. */
  queues(): string[] {
    return [...new Set(this.all().map((t) => t.queue))];
  }
}

export function compileTask(instance: object): TaskDefinition {
  const type = instance.constructor;
  const className = type.name;
  const options: TaskOptions | undefined = Reflect.getMetadata(TASK_METADATA, type);
  if (!options) throw new TaskDefinitionError(className, 'missing @Task()');
  if (!options.name || !/^[a-z0-9][a-z0-9._-]*$/i.test(options.name)) {
    throw new TaskDefinitionError(className, `task name "${options.name}" must be letters, digits, ".", "_" or "-"`);
  }
  const stepMeta: StepMetadata[] = Reflect.getMetadata(STEPS_METADATA, type) ?? [];
  const compMeta: CompensationMetadata[] = Reflect.getMetadata(COMPENSATIONS_METADATA, type) ?? [];
  // `POST /tasks/retry` is the bulk retry: a task of that name could not be submitted over REST.
  if (options.name === 'retry') throw new TaskDefinitionError(className, 'task name "retry" is reserved');
  if (stepMeta.length === 0) throw new TaskDefinitionError(className, 'declares no @Step()');

  const steps = stepMeta.map((meta) => compileStep(instance, className, meta));
  assertUnique(
    className,
    steps.map((s) => String(s.order)),
    'step order',
  );
  assertUnique(
    className,
    steps.map((s) => s.name),
    'step name',
  );
  assertUnique(
    className,
    steps.flatMap((s) => [...s.signals.keys()]),
    'signal',
  );
  // A compensation may name the step or its method.
  const byKey = new Map<string, StepDefinition>();
  steps.forEach((step, i) => byKey.set(stepMeta[i].method, step).set(step.name, step));
  steps.sort((a, b) => a.order - b.order);

  const seen = new Set<string>();
  for (const comp of compMeta) {
    const step = byKey.get(comp.step);
    if (!step) throw new TaskDefinitionError(className, `@Compensate("${comp.step}") names no step`);
    if (seen.has(step.name)) throw new TaskDefinitionError(className, `step "${step.name}" has two compensations`);
    seen.add(step.name);
    step.compensate = bind(instance, className, comp.method);
  }

  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new TaskDefinitionError(className, 'timeoutMs must be positive');
  }
  return {
    name: options.name,
    queue: options.queue ?? DEFAULT_QUEUE,
    timeoutMs: options.timeoutMs,
    cancellable: options.cancellable ?? true,
    priority: options.priority ?? 0,
    retentionMs: options.retentionMs,
    input: options.input,
    acceptsFiles: options.acceptsFiles ?? false,
    http: options.http ?? true,
    steps,
    schedules: compileSchedules(className, options),
    limits: compileLimits(className, options),
    className,
  };
}

/** `concurrency` and `rateLimit` as the store checks them; undefined when the type declares neither. */
function compileLimits(className: string, options: TaskOptions): TypeLimits | undefined {
  const { concurrency, rateLimit } = options;
  const positive = (value: unknown, what: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new TaskDefinitionError(className, `${what} must be an integer >= 1`);
    }
    return value as number;
  };
  const max = positive(concurrency?.max, 'concurrency.max');
  const perOwner = positive(concurrency?.perOwner, 'concurrency.perOwner');
  let rate: TypeLimits['rate'];
  if (rateLimit !== undefined) {
    rate = { max: positive(rateLimit?.max, 'rateLimit.max')!, perMs: positive(rateLimit?.perMs, 'rateLimit.perMs')! };
    if (rate.max === undefined || rate.perMs === undefined) {
      throw new TaskDefinitionError(className, 'rateLimit needs max and perMs');
    }
  }
  if (max === undefined && perOwner === undefined && rate === undefined) return undefined;
  return { ...(max !== undefined && { max }), ...(perOwner !== undefined && { perOwner }), ...(rate && { rate }) };
}

/** Shapes and names only: the cron and the time zone need the cron library, loaded when a scheduler starts. */
function compileSchedules(className: string, options: TaskOptions): ScheduleDeclaration[] {
  const list = options.schedules ?? [];
  if (!Array.isArray(list)) throw new TaskDefinitionError(className, 'schedules must be an array');
  const schedules = list.map((s, index): ScheduleDeclaration => {
    const label = `schedule ${s?.name ?? index}`;
    if (typeof s?.cron !== 'string' || s.cron.trim() === '') {
      throw new TaskDefinitionError(className, `${label}: cron must be a cron expression`);
    }
    const name = s.name ?? String(index);
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
      throw new TaskDefinitionError(className, `${label}: name must be letters, digits, ".", "_" or "-"`);
    }
    const missed = s.missed ?? 'latest';
    if (!MISSED_SLOT_POLICIES.includes(missed)) {
      throw new TaskDefinitionError(className, `${label}: missed must be ${MISSED_SLOT_POLICIES.join(' or ')}`);
    }
    const owner = s.owner ?? 'anonymous';
    if (typeof owner !== 'string' || owner === '') {
      throw new TaskDefinitionError(className, `${label}: owner must be a non-empty string`);
    }
    const timezone = s.timezone ?? 'UTC';
    if (typeof timezone !== 'string') throw new TaskDefinitionError(className, `${label}: timezone must be a string`);
    return { name: `${options.name}:${name}`, cron: s.cron.trim(), timezone, input: s.input ?? {}, missed, owner };
  });
  assertUnique(
    className,
    schedules.map((s) => s.name),
    'schedule name',
  );
  return schedules;
}

function compileStep(instance: object, className: string, meta: StepMetadata): StepDefinition {
  const name = meta.name ?? meta.method;
  if (!Number.isFinite(meta.order)) throw new TaskDefinitionError(className, `step "${name}" needs a numeric order`);
  const retry = meta.retry ?? NO_RETRY;
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new TaskDefinitionError(className, `step "${name}": retry.attempts must be an integer >= 1`);
  }
  if (meta.on && meta.on !== 'api' && meta.on !== 'worker') {
    throw new TaskDefinitionError(className, `step "${name}": on must be "api" or "worker"`);
  }
  return {
    name,
    order: meta.order,
    on: meta.on ?? DEFAULT_PLACEMENT,
    retry,
    timeoutMs: meta.timeoutMs,
    signals: compileSignals(className, name, meta.signals),
    run: bind(instance, className, meta.method),
  };
}

/** A signal's name: what `POST /tasks/{id}/signals/{name}` carries in its path. */
const SIGNAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function compileSignals(
  className: string,
  step: string,
  signals: StepMetadata['signals'],
): ReadonlyMap<string, StandardSchemaV1 | null> {
  const compiled = new Map<string, StandardSchemaV1 | null>();
  for (const [name, schema] of Object.entries(signals ?? {})) {
    if (!SIGNAL_NAME.test(name)) {
      throw new TaskDefinitionError(
        className,
        `step "${step}": signal name "${name}" must be 1 to 100 of A-Z a-z 0-9 _ . -`,
      );
    }
    if (schema !== null && typeof schema?.['~standard']?.validate !== 'function') {
      throw new TaskDefinitionError(className, `step "${step}": signal "${name}" needs a Standard Schema or null`);
    }
    compiled.set(name, schema);
  }
  return compiled;
}

function bind(instance: object, className: string, method: string): StepHandler {
  const fn = (instance as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new TaskDefinitionError(className, `"${method}" is not a method`);
  return fn.bind(instance) as StepHandler;
}

function assertUnique(className: string, values: string[], what: string): void {
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup !== undefined) throw new TaskDefinitionError(className, `duplicate ${what} ${dup}`);
}
