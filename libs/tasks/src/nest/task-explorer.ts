import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { isTaskClass, type TaskRegistry } from '../definition';

/** Finds every provider declared with `@Task()` and registers it. */
@Injectable()
export class TaskExplorer {
  private readonly logger = new Logger('Stepwise');

  constructor(private readonly discovery: DiscoveryService) {}

  explore(registry: TaskRegistry): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || !isTaskClass(metatype)) continue;
      const definition = registry.register(instance as object);
      this.logger.log(`task "${definition.name}": ${definition.steps.map((s) => `${s.name}@${s.on}`).join(' -> ')}`);
    }
  }
}
