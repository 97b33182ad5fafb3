import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { TaskRegistry } from '../definition';
import { TaskEngine } from '../engine';
import { STEPWISE_DATA_SOURCE } from './tokens';
import type { ResolvedOptions } from './resolved-options';
import { TaskExplorer } from './task-explorer';
import { TASK_MODULE_OPTIONS } from './task-module.definition';
import type { TaskModuleOptions } from './task-module-options';
import { RESOLVED_OPTIONS, TASK_REGISTRY } from './tokens';

/**
 * Boot and shutdown order: discover tasks at module init, start the worker
 * and sweeper once the app is up, stop them (gracefully) before Nest closes
 * connections.
 */
@Injectable()
export class TaskLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Stepwise');

  constructor(
    private readonly explorer: TaskExplorer,
    private readonly engine: TaskEngine,
    @Inject(TASK_REGISTRY) private readonly registry: TaskRegistry,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedOptions,
    @Optional() @Inject(STEPWISE_DATA_SOURCE) private readonly dataSource: DataSource | null,
    @Inject(TASK_MODULE_OPTIONS) private readonly moduleOptions: TaskModuleOptions,
  ) {}

  onModuleInit(): void {
    this.explorer.explore(this.registry);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.engine.start(this.options.placements);
    this.logger.log(
      `${this.options.mode} mode, role ${this.options.role}, worker ${this.options.engine.workerId}, ` +
        `${this.registry.all().length} task type(s)`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    // The host's own DataSource is the host's to close.
    if (this.dataSource?.isInitialized && this.dataSource !== this.moduleOptions.dataSource) {
      await this.dataSource.destroy();
    }
  }
}
