import type { TaskRegistry } from '../definition';
import type { TypeLimits } from '../model';

/**
 * The limits each type declares (`concurrency`, `rateLimit`). Undefined when
 * no type has any. The module's `fairness.perOwner` is not one of them: it
 * caps an owner's running tasks of every type together (`ownerMax` of a claim).
 */
export function typeLimits(registry: TaskRegistry): Readonly<Record<string, TypeLimits>> | undefined {
  const limits: Record<string, TypeLimits> = {};
  for (const definition of registry.all()) {
    const own = definition.limits ?? {};
    if (Object.keys(own).length > 0) limits[definition.name] = own;
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** Whether ending a run of a task under these limits frees a slot another held task may take. */
export const limitsConcurrency = (limits: TypeLimits | undefined): boolean =>
  limits?.max !== undefined || limits?.perOwner !== undefined;
