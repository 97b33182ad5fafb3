import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { StepwiseHealthIndicator } from './stepwise-health.indicator';

/** `GET /health`: readiness (database, queue, storage); `GET /health/live`: liveness. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly stepwise: StepwiseHealthIndicator,
  ) {}

  /** 200 when every dependency answers, 503 with the failing ones detailed otherwise. */
  @Get()
  @HealthCheck()
  readiness(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.stepwise.database(),
      () => this.stepwise.queueBackend(),
      () => this.stepwise.objectStorage(),
    ]);
  }

  /** The process is up and serving: no dependency is consulted (a restart would not fix them). */
  @Get('live')
  @HealthCheck()
  liveness(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }
}
