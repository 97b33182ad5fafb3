import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Server } from 'node:http';
import type { MetricsOptions } from '../core/task-module.definition';
import { EVENT_HOOKS, TASK_OBSERVER } from '../core/tokens';
import type { EventHooks } from '../engine';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { METRICS_OPTIONS } from './metrics-tokens';
import { MetricsController } from './metrics.controller';
import { boundPort, startMetricsServer } from './metrics-server';
import { TaskMetrics } from './task-metrics';

/** Feeds the metrics from every event this process records, and serves the separate port. */
@Injectable()
class MetricsLifecycle implements OnModuleInit, OnApplicationShutdown {
  private server: Server | undefined;

  constructor(
    private readonly metrics: TaskMetrics,
    @Inject(EVENT_HOOKS) private readonly hooks: EventHooks,
    @Inject(METRICS_OPTIONS) private readonly options: MetricsOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.hooks.add({
      name: 'Stepwise metrics',
      events: TaskMetrics.EVENTS,
      handle: (event, task) => this.metrics.record(event, task),
    });
    if (this.options.port !== undefined) {
      this.server = await startMetricsServer(this.metrics, this.options.port, this.options.host);
      new Logger('Stepwise').log(`metrics on :${boundPort(this.server)}/metrics`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

/**
 * Prometheus metrics (`prom-client`): tasks by type and outcome, task, step
 * and queue-lag durations, retries, recovered leases, webhook attempts, HTTP
 * requests. Global because it provides the core's `TASK_OBSERVER` port.
 */
@Global()
@Module({})
export class MetricsModule implements NestModule {
  static register(options: MetricsOptions = {}): DynamicModule {
    const route = options.route ?? options.port === undefined;
    return {
      module: MetricsModule,
      controllers: route ? [MetricsController] : [],
      providers: [
        { provide: METRICS_OPTIONS, useValue: options },
        { provide: TaskMetrics, useFactory: () => new TaskMetrics() },
        { provide: TASK_OBSERVER, useExisting: TaskMetrics },
        HttpMetricsMiddleware,
        MetricsLifecycle,
      ],
      exports: [TaskMetrics, TASK_OBSERVER],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
