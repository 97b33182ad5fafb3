import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { apiKeysProvider, resolvedOptionsProvider } from '../core-providers';
import { apiKeyStoreProvider, clockProvider, dataSourceProvider } from '../port-providers';
import { TASK_MODULE_OPTIONS } from '../task-module.definition';
import type { TaskModuleOptions } from '../task-module-options';
import { STEPWISE_DATA_SOURCE } from '../tokens';
import { ApiKeys } from './api-keys';

/** Closes the DataSource this module opened (never the host's own). */
@Injectable()
class OwnDataSourceCloser implements OnModuleDestroy {
  constructor(
    @Inject(STEPWISE_DATA_SOURCE) private readonly dataSource: DataSource | null,
    @Inject(TASK_MODULE_OPTIONS) private readonly options: TaskModuleOptions,
  ) {}

  async onModuleDestroy(): Promise<void> {
    if (this.dataSource?.isInitialized && this.dataSource !== this.options.dataSource) await this.dataSource.destroy();
  }
}

/**
 * `ApiKeys` alone, on the database the same options give `TaskModule`
 * (migrated as it would be), with no engine, worker or sweeper: for an
 * administration script such as the apps' `npm run apikey`, in a Nest
 * application context.
 */
@Module({})
export class ApiKeysModule {
  static forRoot(options: TaskModuleOptions): DynamicModule {
    return {
      module: ApiKeysModule,
      providers: [
        { provide: TASK_MODULE_OPTIONS, useValue: options },
        resolvedOptionsProvider,
        clockProvider,
        dataSourceProvider,
        apiKeyStoreProvider,
        apiKeysProvider,
        OwnDataSourceCloser,
      ],
      exports: [ApiKeys],
    };
  }
}
