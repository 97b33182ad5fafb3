import 'reflect-metadata';
import { COMPENSATIONS_METADATA, STEPS_METADATA, TASK_METADATA } from './metadata-keys';
import type { StepOptions, TaskOptions } from './task-options';

export interface StepMetadata extends StepOptions {
  method: string;
}

export interface CompensationMetadata {
  /** Name of the step (or method) this compensates. */
  step: string;
  method: string;
}

/** Declares a class as a task. Its `@Step` methods run in `order`. */
export function Task(options: TaskOptions): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(TASK_METADATA, options, target);
  };
}

/** Declares a method as one step of its task. */
export function Step(options: StepOptions): MethodDecorator {
  return (target, key) => {
    const steps: StepMetadata[] = Reflect.getMetadata(STEPS_METADATA, target.constructor) ?? [];
    Reflect.defineMetadata(STEPS_METADATA, [...steps, { ...options, method: String(key) }], target.constructor);
  };
}

/**
 * Declares the method that undoes a finished step, run in reverse order when a
 * later step fails for good or the task is cancelled.
 */
export function Compensate(step: string): MethodDecorator {
  return (target, key) => {
    const list: CompensationMetadata[] = Reflect.getMetadata(COMPENSATIONS_METADATA, target.constructor) ?? [];
    Reflect.defineMetadata(COMPENSATIONS_METADATA, [...list, { step, method: String(key) }], target.constructor);
  };
}

export function isTaskClass(type: unknown): boolean {
  return typeof type === 'function' && Reflect.hasMetadata(TASK_METADATA, type);
}

/** The task type a `@Task()` class declares (`@Task({ name })`). */
export function taskTypeOf(type: abstract new (...args: never[]) => unknown): string {
  const options = Reflect.getMetadata(TASK_METADATA, type) as TaskOptions | undefined;
  if (!options) throw new Error(`${type.name} is not a @Task() class`);
  return options.name;
}
