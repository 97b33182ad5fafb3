import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { StepwiseHealthIndicator } from './stepwise-health.indicator';

/**
 * `StepwiseHealthIndicator` (database, queue, storage) for the host's own
 * terminus `HealthController`: import `TaskHealthModule` beside `TaskModule`.
 * `TaskModule.forRoot({ health: true })` mounts Stepwise's own `/health`
 * routes instead (`TaskHealthModule.withRoutes()`).
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [StepwiseHealthIndicator],
  exports: [StepwiseHealthIndicator],
})
export class TaskHealthModule {
  /** With `GET /health` (readiness) and `GET /health/live` (liveness). */
  static withRoutes(): DynamicModule {
    return { module: TaskHealthModule, controllers: [HealthController] };
  }
}
