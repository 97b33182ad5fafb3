import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryService, DiscoveryModule } from '@nestjs/core';
import { BullModule, getSharedConfigToken } from '@nestjs/bullmq';
import type { ConnectionOptions } from 'bullmq';
import { HostBullMqTaskQueue, laneName, redisOptionsOf } from '../adapters/bullmq';
import type { HostQueue } from '../core/host-queue';
import { HOST_QUEUE, TASK_REGISTRY } from '../core/tokens';
import type { TaskRegistry } from '../definition';
import { definitionLanes, type TaskLane } from '../definition/task-lanes';
import { LaneProcessor, laneProcessor } from './lane-processor';

const FEATURE = 'TaskModule.forFeature(tasks, { bullmq: true })';

const hostQueue: Provider = {
  provide: HOST_QUEUE,
  inject: [
    DiscoveryService,
    { token: getSharedConfigToken(), optional: true },
    { token: TASK_REGISTRY, optional: true },
  ],
  useFactory: (
    discovery: DiscoveryService,
    shared: { connection?: ConnectionOptions } | undefined,
    registry: TaskRegistry | undefined,
  ): HostQueue => {
    if (!shared) {
      throw new Error(`Stepwise: ${FEATURE} runs on the app's BullModule: import BullModule.forRoot({ connection })`);
    }
    const queue = new HostBullMqTaskQueue({
      // Found when first used: every lane module's processor exists by then.
      lanes: () =>
        discovery
          .getProviders()
          .map((wrapper) => wrapper.instance as unknown)
          .filter((instance): instance is LaneProcessor => instance instanceof LaneProcessor),
      required: () =>
        (registry?.all() ?? []).flatMap((definition) =>
          definitionLanes(definition).map((lane) => ({ lane: nameOf(lane), task: definition.name })),
        ),
      missingHint: `list its task in ${FEATURE}`,
    });
    return { queue, redis: redisOptionsOf(shared.connection), describe: FEATURE };
  },
};

/**
 * Stepwise's queue on the app's `@nestjs/bullmq`: provides the core's
 * `HOST_QUEUE` from the lanes the forFeature modules register. Global
 * because the core module injects it.
 */
@Global()
@Module({ imports: [DiscoveryModule], providers: [hostQueue], exports: [HOST_QUEUE] })
export class TaskQueuesModule {}

/** The module of one lane: its queue registered with BullModule, and its processor. */
@Module({})
export class TaskLaneModule {}

/** The lanes of one forFeature call. */
@Module({})
export class TaskLanesModule {}

// One module per lane in the process, whichever forFeature calls name it: two
// processors on a lane would be two workers. Nest tells modules apart by reference.
const laneModules = new Map<string, DynamicModule>();

function laneModule(lane: string): DynamicModule {
  let module = laneModules.get(lane);
  if (!module) {
    const queue = BullModule.registerQueue({ name: lane });
    // Global: `@InjectQueue(lane)` works in any provider, as bull-board finds it.
    module = {
      module: TaskLaneModule,
      global: true,
      imports: [queue, TaskQueuesModule],
      providers: [laneProcessor(lane)],
      exports: [queue],
    };
    laneModules.set(lane, module);
  }
  return module;
}

/** The lanes of a forFeature call, each registered with BullModule and given its processor. */
export function bullMqLanes(lanes: TaskLane[]): DynamicModule {
  return { module: TaskLanesModule, imports: [TaskQueuesModule, ...lanes.map((lane) => laneModule(nameOf(lane)))] };
}

function nameOf(lane: TaskLane): string {
  return laneName(lane.queue, lane.placement);
}
