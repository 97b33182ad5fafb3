/**
 * `@stepwise/tasks/typeorm`: Stepwise on the host app's own TypeORM
 * `DataSource` (for instance the one `TypeOrmModule.forRoot` registers). Add
 * `STEPWISE_ENTITIES` to its entities and `STEPWISE_MIGRATIONS` to its
 * migrations, then pass it: `TaskModule.forRootAsync({ inject: [DataSource],
 * useFactory: (dataSource) => ({ dataSource }) })`.
 */
export { STEPWISE_ENTITIES, STEPWISE_MIGRATIONS } from './adapters/typeorm/data-source';
export { TypeOrmTaskStore } from './adapters/typeorm/typeorm-task-store';
export { TypeOrmScheduleStore } from './adapters/typeorm/typeorm-schedule-store';
export { TypeOrmUploadStore } from './adapters/typeorm/typeorm-upload-store';
export { TypeOrmWebhookOutbox } from './adapters/typeorm/typeorm-webhook-outbox';
export { TypeOrmApiKeyStore } from './adapters/typeorm/typeorm-api-key-store';
