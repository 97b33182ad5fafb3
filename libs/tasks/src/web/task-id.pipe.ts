import { Injectable, type PipeTransform } from '@nestjs/common';
import { clip, notFound } from './http-error';

/** Any UUID version: ids come from `randomUUID()`, but a custom store may use v7. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `:id` must look like a UUID. Anything else cannot name a task, so it is a
 * 404 at once, without a database round trip for garbage.
 */
@Injectable()
export class TaskIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) throw notFound(`Task ${clip(String(value))} not found`);
    return value.toLowerCase();
  }
}
