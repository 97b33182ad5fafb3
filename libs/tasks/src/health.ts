/**
 * `@stepwise/tasks/health`: terminus health checks of the database, queue and
 * storage Stepwise runs on (needs `@nestjs/terminus`). Import
 * `TaskHealthModule` and inject `StepwiseHealthIndicator` in your own
 * `HealthController`, or pass `health: true` to `TaskModule.forRoot` for
 * Stepwise's `/health` routes.
 */
export { TaskHealthModule } from './health/task-health.module';
export { StepwiseHealthIndicator } from './health/stepwise-health.indicator';
export { HealthController } from './health/health.controller';
