import type { TaskRegistry } from '../definition';
import type { TypeLimits } from '../model';

/**
 * The limits each type is claimed under: its own `concurrency` and
 * `rateLimit`, and the module's per-owner default (`fairness.perOwner`) where
 * the type sets no `perOwner`. Undefined when no type has any: every claim is
 * then the plain one.
 */
export function typeLimits(
  registry: TaskRegistry,
  maxRunningPerOwner?: number,
): Readonly<Record<string, TypeLimits>> | undefined {
  const limits: Record<string, TypeLimits> = {};
  for (const definition of registry.all()) {
    const own = definition.limits ?? {};
    const perOwner = own.perOwner ?? maxRunningPerOwner;
    const merged: TypeLimits = { ...own, ...(perOwner !== undefined && { perOwner }) };
    if (Object.keys(merged).length > 0) limits[definition.name] = merged;
  }
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** Whether ending a run of a task under these limits frees a slot another held task may take. */
export const limitsConcurrency = (limits: TypeLimits | undefined): boolean =>
  limits?.max !== undefined || limits?.perOwner !== undefined;
