import 'reflect-metadata';
import type { Placement } from '../model';
import type { StepMetadata } from './decorators';
import { STEPS_METADATA, TASK_METADATA } from './metadata-keys';
import type { TaskDefinition } from './task-definition';
import { TaskDefinitionError } from './task-definition-error';
import type { TaskOptions } from './task-options';

/** The queue of a task that declares none. */
export const DEFAULT_QUEUE = 'default';
/** The placement of a step that declares none. */
export const DEFAULT_PLACEMENT: Placement = 'worker';

/**
 * Where a task's wake-ups travel: its queue, for one placement. A task is
 * dispatched only on the placements of its steps (the first step's, then
 * each hand-over's), so these are all the lanes it ever uses.
 */
export interface TaskLane {
  queue: string;
  placement: Placement;
}

/**
 * The lanes of a `@Task()` class, read from its decorators: known when a
 * module is defined, before any instance exists (queue registrations need
 * them then). Throws {@link TaskDefinitionError} for a class that is not a task.
 */
export function taskLanes(type: abstract new (...args: never[]) => unknown): TaskLane[] {
  const options = Reflect.getMetadata(TASK_METADATA, type) as TaskOptions | undefined;
  if (!options) throw new TaskDefinitionError(type.name, 'missing @Task()');
  const steps: StepMetadata[] = Reflect.getMetadata(STEPS_METADATA, type) ?? [];
  return lanesOf(
    options.queue ?? DEFAULT_QUEUE,
    steps.map((step) => step.on ?? DEFAULT_PLACEMENT),
  );
}

/** The lanes of a compiled definition (the same as its class's). */
export function definitionLanes(definition: TaskDefinition): TaskLane[] {
  return lanesOf(
    definition.queue,
    definition.steps.map((step) => step.on),
  );
}

/** Each lane once, in the order first met. */
export function uniqueLanes(lanes: Iterable<TaskLane>): TaskLane[] {
  const seen = new Map<string, TaskLane>();
  for (const lane of lanes) seen.set(`${lane.queue}\u0000${lane.placement}`, lane);
  return [...seen.values()];
}

function lanesOf(queue: string, placements: Placement[]): TaskLane[] {
  return [...new Set(placements)].map((placement) => ({ queue, placement }));
}
