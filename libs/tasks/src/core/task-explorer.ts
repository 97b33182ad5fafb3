import { Inject, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { eventHooksOf, isTaskClass, type TaskEventHandler, type TaskRegistry } from '../definition';
import type { EventHooks } from '../engine';
import { EVENT_HOOKS } from './tokens';

/**
 * Finds every provider declared with `@Task()` and registers it, and every
 * `@OnTaskEvent()` method of any provider. The class is read from the
 * instance, so providers registered with `useFactory` or `useValue` are found
 * too (as nestjs/bull's explorer does).
 */
@Injectable()
export class TaskExplorer {
  private readonly logger = new Logger('Stepwise');

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(EVENT_HOOKS) private readonly hooks: EventHooks,
  ) {}

  explore(registry: TaskRegistry): void {
    // An instance reachable under two tokens (an alias, a re-export) is one task.
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const type = instance.constructor;
      if (isTaskClass(type)) {
        const definition = registry.register(instance);
        this.logger.log(`task "${definition.name}": ${definition.steps.map((s) => `${s.name}@${s.on}`).join(' -> ')}`);
      }
      for (const hook of eventHooksOf(type)) {
        const method = (instance as Record<string, unknown>)[hook.method] as TaskEventHandler;
        this.hooks.add({
          name: `${type.name}.${hook.method}`,
          events: new Set(hook.events),
          ...(hook.type ? { type: hook.type } : {}),
          handle: (event, task) => method.call(instance, event, task),
        });
      }
    }
  }
}
