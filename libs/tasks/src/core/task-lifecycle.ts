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
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}
