import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ObjectStorage, TaskQueue, TaskStore } from '../ports';
import { OBJECT_STORAGE, TASK_QUEUE, TASK_STORE } from '../core/tokens';

/** A check that hangs is as bad as one that fails: bound each one. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * Terminus indicators for the three ports a task needs: the store (database),
 * the queue (Redis in distributed mode) and object storage.
 */
@Injectable()
export class StepwiseHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(TASK_STORE) private readonly store: TaskStore,
    @Inject(TASK_QUEUE) private readonly queue: TaskQueue,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  database(): Promise<HealthIndicatorResult> {
    return this.probe('database', () => this.store.ping());
  }

  queueBackend(): Promise<HealthIndicatorResult> {
    return this.probe('queue', () => this.queue.ping());
  }

  objectStorage(): Promise<HealthIndicatorResult> {
    return this.probe('storage', () => this.storage.ping());
  }

  private async probe(key: string, ping: () => Promise<void>): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return session.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
