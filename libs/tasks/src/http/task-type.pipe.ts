import { Injectable, type PipeTransform } from '@nestjs/common';
import { TaskEngine } from '../engine/task-engine';
import { clip, notFound } from '../web/http-error';

/** The rule the task registry enforces on `@Task({ name })`, with a length cap for URLs. */
export const TASK_TYPE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,199}$/i;

/**
 * `:type` must name a registered task type: anything else is a 404, answered
 * before any other check of the request and before a byte of its body is read.
 */
@Injectable()
export class TaskTypePipe implements PipeTransform<string, string> {
  constructor(private readonly engine: TaskEngine) {}

  transform(value: string): string {
    if (typeof value !== 'string' || !TASK_TYPE_PATTERN.test(value)) {
      throw notFound(`Unknown task type "${clip(String(value))}"`);
    }
    // Throws the engine's not_found, which the filter answers as 404.
    const definition = this.engine.definition(value);
    // A type kept off REST is indistinguishable from an unknown one.
    if (!definition.http) throw notFound(`Unknown task type "${clip(value)}"`);
    return definition.name;
  }
}
